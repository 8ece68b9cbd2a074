#!/usr/bin/python3
"""bench_scale_torch.py: torch.autograd.gradcheck's cost on the seed's network at given sizes.

Run with Debian's /usr/bin/python3 (python3-torch); scripts/bench --scale runs it
beside build/checks/bench_scale. For each size D-H-K: the network z = W x + b1,
h = relu(z), a = V h + b2, L = cross_entropy(a, y) in float64 over the packed
parameters theta = [vec(W), b1, vec(V), b2] (the order of gv_net_pack.h), drawn
at the harness's scales (weights ~ sqrt(3/D), sqrt(3/H)), its gradient by
autograd, checked by gradcheck with its defaults (eps 1e-6, atol 1e-5, rtol
1e-3), in full and with fast_mode=True. Prints one line per size and mode:
  torch MODE D H K params cpu_s wall_s evals_per_entry peak_rss_kb
CPU seconds are the process's (time.process_time: every torch thread counts);
evals_per_entry counts calls of the loss during gradcheck divided by the
parameters. Without torch it prints "torch not installed" and exits 0.
  bench_scale_torch.py 32,64,10 100,50,10 784,128,10
"""
import resource
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    print("torch not installed: skipped (apt-get install python3-torch)")
    sys.exit(0)


def problem(D, H, K, seed=1):
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.uniform(-1.0, 1.0, D), dtype=torch.float64)
    sw, sv = np.sqrt(3.0 / D), 2.0 * np.sqrt(3.0 / H)
    theta = np.concatenate([rng.uniform(-sw, sw, H * D), rng.uniform(-0.5, 0.5, H),
                            rng.uniform(-sv, sv, K * H), rng.uniform(-0.5, 0.5, K)])
    y = torch.tensor([int(rng.integers(K))])
    calls = [0]

    def loss(t):
        calls[0] += 1
        W = t[:H * D].view(H, D)
        b1 = t[H * D:H * D + H]
        V = t[H * D + H:H * D + H + K * H].view(K, H)
        b2 = t[H * D + H + K * H:]
        a = V @ torch.relu(W @ x + b1) + b2
        return F.cross_entropy(a.unsqueeze(0), y)

    return torch.tensor(theta, dtype=torch.float64, requires_grad=True), loss, calls


def main(argv):
    sizes = [tuple(int(v) for v in s.split(",")) for s in argv] or [(32, 64, 10)]
    for D, H, K in sizes:
        for mode, fast in (("full", False), ("fast", True)):
            theta, loss, calls = problem(D, H, K)
            calls[0] = 0
            c0, w0 = time.process_time(), time.perf_counter()
            ok = torch.autograd.gradcheck(loss, (theta,), fast_mode=fast, raise_exception=False)
            c1, w1 = time.process_time(), time.perf_counter()
            n = theta.numel()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(f"torch {mode} {D} {H} {K} {n} {c1 - c0:.4f} {w1 - w0:.4f} "
                  f"{calls[0] / n:.3f} {peak} {'pass' if ok else 'FAIL'}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
