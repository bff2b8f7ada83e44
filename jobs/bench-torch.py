#!/usr/bin/python3
"""bench-torch.py: the PyTorch counterpart of `hecaton bench-train`.

The same Llama as the project builds from the same models/*.ini (RMSNorm,
RoPE on adjacent pairs (2k, 2k+1), grouped-query attention, SwiGLU, an
untied LM head, no biases), the same batch shape, the same step (zero the
gradients, forward, backward, global gradient norm clipped to 1.0, AdamW with
betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on matrices only, lr 1e-4),
timed the same way (one warm-up step, then N timed steps; best and mean).
The FLOPs per step are hc_model_step_flops (src/model/model.c), reproduced
below, so that both programs' GFLOP/s divide one count.

Run with Debian's interpreter and python3-torch (jobs/bench.sh installs it):
    /usr/bin/python3 jobs/bench-torch.py --model models/small.ini --threads 1
--threads sets torch.set_num_threads and, before torch loads, OMP_NUM_THREADS
and OPENBLAS_NUM_THREADS, with OMP_WAIT_POLICY=PASSIVE (PyTorch's best
setting here; BENCH_TORCH_KEEP_ENV=1 keeps the caller's environment instead).
Prints one line a run that jobs/bench.sh reads:
    torch: model small threads 1 batch 4x256 steps 5 best_ms ... mean_ms ... flops ... gflops ...
"""
import argparse
import configparser
import math
import os
import sys
import time


def load_config(path):
    ini = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    with open(path) as f:
        ini.read_file(f)
    m = ini["model"]
    c = {
        "dim": m.getint("dim"),
        "n_layers": m.getint("n_layers"),
        "n_heads": m.getint("n_heads"),
        "n_kv_heads": m.getint("n_kv_heads", fallback=m.getint("n_heads")),
        "ffn_dim": m.getint("ffn_dim"),
        "vocab_size": m.getint("vocab_size"),
        "max_seq_len": m.getint("max_seq_len"),
        "norm_eps": m.getfloat("norm_eps", fallback=1e-5),
        "rope_theta": m.getfloat("rope_theta", fallback=10000.0),
    }
    c["name"] = os.path.splitext(os.path.basename(path))[0]
    return c


def step_flops(c, b, s):
    """hc_model_step_flops (src/model/model.c): 3 x the forward's matmul FLOPs,
    attention counted over the causal half (s (s + 1) / 2 scores)."""
    T, h, f, V, L = float(b * s), c["dim"], c["ffn_dim"], c["vocab_size"], c["n_layers"]
    d = h // c["n_heads"]
    hkv = c["n_kv_heads"] * d
    linear_macs = h * h + 2 * h * hkv + h * h + 3 * h * f
    attn_macs = 2.0 * b * c["n_heads"] * d * (s * (s + 1.0) / 2)
    fwd = 2 * (L * (T * linear_macs + attn_macs) + T * h * V)
    return 3 * fwd


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="models/small.ini")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()

    # Before torch loads: its OpenBLAS (Debian's, as hecaton's) reads its
    # pool size from the environment, and torch.set_num_threads does not
    # reach it; left unset it would take every core whatever --threads says.
    # PyTorch's OpenMP threads and OpenBLAS's are two pools: with libgomp's
    # default spin-waiting they fight for the cores and two threads ran
    # slower than one here (small: 2.6 s against 2.1 s a step); waiting
    # passively gave PyTorch its best two-thread time (1.25 s), so it gets it.
    if not os.environ.get("BENCH_TORCH_KEEP_ENV"):
        os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    c = load_config(a.model)
    b, s = a.batch, a.seq
    if s > c["max_seq_len"]:
        sys.exit("--seq %d exceeds max_seq_len %d" % (s, c["max_seq_len"]))
    h, nh, nkv, f, V, L = (c["dim"], c["n_heads"], c["n_kv_heads"], c["ffn_dim"],
                           c["vocab_size"], c["n_layers"])
    d = h // nh
    group = nh // nkv
    eps = c["norm_eps"]
    torch.manual_seed(1)

    # Parameters: the project's shapes and initialisation (params.c).
    def normal(*shape, std=0.02):
        return (torch.randn(*shape) * std).requires_grad_()

    res_std = 0.02 / math.sqrt(2.0 * L)
    decay, no_decay = [], []
    tok = normal(V, h)
    layers = []
    for _ in range(L):
        lay = {
            "an": torch.ones(h, requires_grad=True),
            "wq": normal(h, h), "wk": normal(nkv * d, h), "wv": normal(nkv * d, h),
            "wo": normal(h, h, std=res_std),
            "fn": torch.ones(h, requires_grad=True),
            "w1": normal(f, h), "w2": normal(h, f, std=res_std), "w3": normal(f, h),
        }
        layers.append(lay)
    norm = torch.ones(h, requires_grad=True)
    out_w = normal(V, h)
    for p in [tok, out_w] + [t for lay in layers for t in lay.values()] + [norm]:
        (decay if p.dim() == 2 else no_decay).append(p)
    params = decay + no_decay
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.95), eps=1e-8)

    # RoPE on adjacent pairs: angle(pos, k) = pos * theta^(-2k/d), in double, rounded once.
    pos = torch.arange(s, dtype=torch.float64)[:, None]
    freq = c["rope_theta"] ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = pos * freq[None, :]
    cos, sin = ang.cos().float(), ang.sin().float()  # s x d/2

    def rope(x):  # x: b, s, heads, d
        xr = x.reshape(*x.shape[:-1], d // 2, 2)
        x0, x1 = xr[..., 0], xr[..., 1]
        cc, ss = cos[None, :, None, :], sin[None, :, None, :]
        return torch.stack((x0 * cc - x1 * ss, x0 * ss + x1 * cc), dim=-1).reshape(x.shape)

    def rmsnorm(x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g

    mask = torch.full((s, s), float("-inf")).triu(1)
    scale = 1.0 / math.sqrt(d)

    def forward(tokens, targets):
        x = F.embedding(tokens, tok)  # b, s, h
        for lay in layers:
            xn = rmsnorm(x, lay["an"])
            q = F.linear(xn, lay["wq"]).view(b, s, nh, d)
            k = F.linear(xn, lay["wk"]).view(b, s, nkv, d)
            v = F.linear(xn, lay["wv"]).view(b, s, nkv, d)
            q, k = rope(q), rope(k)
            q = q.transpose(1, 2)  # b, nh, s, d
            k = k.transpose(1, 2).repeat_interleave(group, dim=1)
            v = v.transpose(1, 2).repeat_interleave(group, dim=1)
            att = torch.softmax(q @ k.transpose(-1, -2) * scale + mask, dim=-1) @ v
            x = x + F.linear(att.transpose(1, 2).reshape(b, s, h), lay["wo"])
            xn = rmsnorm(x, lay["fn"])
            x = x + F.linear(F.silu(F.linear(xn, lay["w1"])) * F.linear(xn, lay["w3"]), lay["w2"])
        logits = F.linear(rmsnorm(x, norm), out_w)
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))

    g = torch.Generator().manual_seed(5)
    batch = torch.randint(0, V, (b, s + 1), generator=g)
    tokens, targets = batch[:, :-1].contiguous(), batch[:, 1:].contiguous()

    best, total = float("inf"), 0.0
    for st in range(a.steps + 1):  # step 0 warms up
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss = forward(tokens, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        if st == 0:
            continue
        best = min(best, dt)
        total += dt
    fl = step_flops(c, b, s)
    print("torch: model %s threads %d batch %dx%d steps %d best_ms %.3f mean_ms %.3f "
          "flops %.6e gflops %.2f loss %.4f torch %s"
          % (c["name"], torch.get_num_threads(), b, s, a.steps, best * 1e3,
             total / a.steps * 1e3, fl, fl / best / 1e9, loss.item(), torch.__version__))


if __name__ == "__main__":
    main()
