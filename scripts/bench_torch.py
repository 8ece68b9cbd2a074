#!/usr/bin/python3
"""bench_torch.py: the detection floor of torch.autograd.gradcheck on the seed's network.

Run with Debian's /usr/bin/python3 (python3-torch); scripts/bench runs it after
build/checks/bench_detect, with the same --trials and --seed, and prints its
table in the same format. Without torch it says so and exits 0.

The network is the seed's, in float64: z = W x + b1, h = relu(z),
a = V h + b2, L = cross_entropy(a, y), over the packed parameters
theta = [vec(W) row-major, b1, vec(V) row-major, b2], drawn as bench_detect.c
draws it (D, H in 2..8, K in 2..5; the harness's scales; no |z_i| < 0.1), from
numpy's PCG64 seeded with (seed, trial) (not the same draws as the C side's
mt19937). The loss is a custom autograd.Function whose backward returns the
seed's analytic gradient (delta1 = p - y, delta2 = (V^T delta1) * 1(z > 0),
dV = delta1 h^T, db2 = delta1, dW = delta2 x^T, db1 = delta2), right or with
one entry corrupted as in bench_detect.c: for k = 2..10 a random entry i, with
a random sign, "max": g_i += +-10^-k max|g|; "entry": g_i *= 1 +- 10^-k on an
entry with |g_i| >= 1e-3 max|g|.

gradcheck runs with its defaults (eps 1e-6, atol 1e-5, rtol 1e-3; only
raise_exception=False so that it returns its verdict), once in full and once
with fast_mode=True. A trial of a right gradient that gradcheck fails is a false
failure; the detection floor is the smallest 10^-k caught in >= 99% of trials
(as is every larger one), provided there was no false failure. Evaluations per
entry: calls of the Function's forward during one gradcheck over the entries.
"""
import argparse
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    print("torch not installed: skipped (apt-get install python3-torch)")
    sys.exit(0)

KMIN, KMAX = 2, 10
KS = list(range(KMIN, KMAX + 1))
CATCH_SHARE = 0.99
KINK_MARGIN = 0.1
ENTRY_MIN = 1e-3
CTYPES = ("max", "entry")
CTYPE_NAME = {
    "max": "relative to max|g| (g_i += 10^-k max|g|)",
    "entry": "relative to the entry (g_i *= 1 + 10^-k)",
}
MODES = (("torch gradcheck, defaults", False), ("torch gradcheck, fast_mode=True", True))
FUN_NAME = "network loss, packed params"


class Problem:
    """One network, its input and target, and the corruption backward applies."""

    def __init__(self, rng):
        D, H, K = int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.integers(2, 6))
        while True:
            # The harness's scales (gv_trials_net.c): z and the logits O(1).
            sx = 0.1 * np.exp(rng.uniform() * np.log(100.0))
            sw, sv = np.sqrt(3.0 / D) / sx, 2.0 * np.sqrt(3.0 / H)
            x = rng.uniform(-sx, sx, D)
            W = rng.uniform(-sw, sw, (H, D))
            b1 = rng.uniform(-0.5, 0.5, H)
            V = rng.uniform(-sv, sv, (K, H))
            b2 = rng.uniform(-0.5, 0.5, K)
            y = int(rng.integers(K))
            if np.all(np.abs(W @ x + b1) >= KINK_MARGIN):
                break
        self.D, self.H, self.K = D, H, K
        self.x = torch.tensor(x, dtype=torch.float64)
        self.y = torch.tensor([y])
        self.onehot = torch.zeros(K, dtype=torch.float64)
        self.onehot[y] = 1.0
        self.theta = torch.tensor(np.concatenate([W.ravel(), b1, V.ravel(), b2]),
                                  dtype=torch.float64, requires_grad=True)
        self.n = self.theta.numel()
        self.calls = 0
        self.corruption = None  # (i, rel, add): g_i <- g_i (1 + rel) + add

    def unpack(self, theta):
        D, H, K = self.D, self.H, self.K
        o = 0
        W = theta[o:o + H * D].view(H, D)
        o += H * D
        b1 = theta[o:o + H]
        o += H
        V = theta[o:o + K * H].view(K, H)
        o += K * H
        return W, b1, V, theta[o:o + K]

    def loss(self, theta):
        W, b1, V, b2 = self.unpack(theta)
        a = V @ torch.relu(W @ self.x + b1) + b2
        return F.cross_entropy(a.unsqueeze(0), self.y)

    def grad(self, theta):
        """The seed's backpropagation, then the corruption if one is set."""
        W, b1, V, b2 = self.unpack(theta)
        z = W @ self.x + b1
        h = torch.relu(z)
        p = torch.softmax(V @ h + b2, dim=0)
        d1 = p - self.onehot
        d2 = (V.t() @ d1) * (z > 0).to(torch.float64)
        g = torch.cat([torch.outer(d2, self.x).reshape(-1), d2,
                       torch.outer(d1, h).reshape(-1), d1])
        if self.corruption is not None:
            i, rel, add = self.corruption
            g[i] = g[i] * (1.0 + rel) + add
        return g


class NetLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, theta, prob):
        prob.calls += 1
        ctx.prob = prob
        ctx.save_for_backward(theta)
        with torch.no_grad():
            return prob.loss(theta)

    @staticmethod
    def backward(ctx, grad_out):
        (theta,) = ctx.saved_tensors
        return grad_out * ctx.prob.grad(theta.detach()), None


def draw_corruptions(rng, g):
    """For each type and k: (entry, rel, add), or None where no entry is eligible."""
    gmax = float(g.abs().max())
    eligible = [i for i in range(g.numel()) if g[i] != 0.0 and abs(float(g[i])) >= ENTRY_MIN * gmax]
    out = {t: [] for t in CTYPES}
    for k in KS:
        mag = 10.0 ** -k
        sign = 1.0 if rng.integers(2) else -1.0
        out["max"].append((int(rng.integers(g.numel())), 0.0, sign * mag * gmax) if gmax > 0 else None)
        sign = 1.0 if rng.integers(2) else -1.0
        out["entry"].append((eligible[int(rng.integers(len(eligible)))], sign * mag, 0.0)
                            if eligible else None)
    return out


def gradcheck(prob, fast):
    prob.calls = 0
    ok = torch.autograd.gradcheck(lambda t: NetLoss.apply(t, prob), (prob.theta,),
                                  raise_exception=False, fast_mode=fast)
    return ok, prob.calls


def new_stats():
    return {"trials": 0, "false": 0, "calls": 0, "entries": 0,
            "ncorrupt": {t: 0 for t in CTYPES}, "caught": {t: [0] * len(KS) for t in CTYPES}}


def run(first, count, seed):
    """Trials first .. first + count - 1; one stats dict per mode."""
    torch.set_num_threads(1)
    stats = [new_stats() for _ in MODES]
    for trial in range(first, first + count):
        rng = np.random.default_rng([seed, trial])
        torch.manual_seed(seed * 1000003 + trial)  # fast_mode's random vectors
        prob = Problem(rng)
        with torch.no_grad():
            g = prob.grad(prob.theta.detach())
        corr = draw_corruptions(rng, g)
        for m, (_, fast) in enumerate(MODES):
            s = stats[m]
            prob.corruption = None
            ok, calls = gradcheck(prob, fast)
            s["trials"] += 1
            s["false"] += not ok
            s["calls"] += calls
            s["entries"] += prob.n
            for t in CTYPES:
                for j, c in enumerate(corr[t]):
                    if c is None:
                        continue
                    if j == 0:
                        s["ncorrupt"][t] += 1
                    prob.corruption = c
                    ok, _ = gradcheck(prob, fast)
                    s["caught"][t][j] += not ok
            prob.corruption = None
    return stats


def merge(a, b):
    for key in ("trials", "false", "calls", "entries"):
        a[key] += b[key]
    for t in CTYPES:
        a["ncorrupt"][t] += b["ncorrupt"][t]
        a["caught"][t] = [x + y for x, y in zip(a["caught"][t], b["caught"][t])]


def floor_str(s, t):
    if s["false"] or s["ncorrupt"][t] == 0:
        return "- (false failures)"
    best = None
    for j, k in enumerate(KS):
        if s["caught"][t][j] < CATCH_SHARE * s["ncorrupt"][t]:
            break
        best = k
    return "none" if best is None else "1e-%d" % best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000, help="random networks (default 1000)")
    ap.add_argument("--seed", type=int, default=20240801, help="seed (default 20240801)")
    ap.add_argument("--quick", action="store_true", help="50 trials, a smoke run")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="worker processes (default: one per CPU); the results do not depend on it")
    args = ap.parse_args()
    if args.quick and "--trials" not in sys.argv:
        args.trials = 50
    if args.trials < 1 or args.jobs < 1:
        ap.error("--trials and --jobs want positive integers")

    t0 = time.time()
    if args.jobs == 1:
        stats = run(0, args.trials, args.seed)
    else:
        import multiprocessing

        per = -(-args.trials // args.jobs)
        chunks = [(i, min(per, args.trials - i), args.seed) for i in range(0, args.trials, per)]
        with multiprocessing.get_context("fork").Pool(len(chunks)) as pool:
            parts = pool.starmap(run, chunks)
        stats = parts[0]
        for part in parts[1:]:
            for a, b in zip(stats, part):
                merge(a, b)
    print("bench_torch: %.1f s" % (time.time() - t0), file=sys.stderr)

    print("## Detection floor of torch.autograd.gradcheck (bench_torch.py, torch %s)\n"
          % torch.__version__)
    print("%d trials, seed %d. Corruptions 10^-k, k = %d..%d, one random entry, random sign. "
          "Detection floor: the smallest 10^-k caught in >= %.0f%% of trials (and so is every "
          "larger one), provided the uncorrupted gradient never failed.\n"
          % (args.trials, args.seed, KMIN, KMAX, 100 * CATCH_SHARE))
    print("Pass rule (gradcheck's defaults): per entry |a - n| <= atol + rtol |n|, atol = 1e-5, "
          "rtol = 1e-3, n a central difference with a fixed step eps = 1e-6; fast_mode compares "
          "v^T J u for random u, v instead. Network: D, H in 2..8, K in 2..5, no |z_i| < %g; "
          "float64, one thread.\n" % KINK_MARGIN)
    print("| function | method | rule | trials | false failures | floor, rel. to max\\|g\\| | "
          "floor, rel. to entry | evals/entry | estimate/true: median [p1, p99] | "
          "estimate < true |\n|---|---|---|---|---|---|---|---|---|---|")
    for (name, _), s in zip(MODES, stats):
        print("| %s | %s | defaults | %d | %d | %s | %s | %.1f | - (no estimate) | - |"
              % (FUN_NAME, name, s["trials"], s["false"], floor_str(s, "max"),
                 floor_str(s, "entry"), s["calls"] / s["entries"]))
    for t in CTYPES:
        print("\n### Detection rate (%%), corruption %s\n" % CTYPE_NAME[t])
        print("| function | method | rule | corrupted trials |"
              + "".join(" 1e-%d |" % k for k in KS))
        print("|---|---|---|---|" + "---|" * len(KS))
        for (name, _), s in zip(MODES, stats):
            n = s["ncorrupt"][t]
            rates = "".join(" %.1f |" % (100.0 * c / n) if n else " - |" for c in s["caught"][t])
            print("| %s | %s | defaults | %d |%s" % (FUN_NAME, name, n, rates))
    return 0


if __name__ == "__main__":
    sys.exit(main())
