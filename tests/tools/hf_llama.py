#!/usr/bin/python3
"""hf_llama.py: a small Llama in the Hugging Face layout, written and checked
without transformers (Debian's python3-torch, python3-numpy, python3-h5py).

  make DIR [--tied] [--shards N] [--dtypes f32|mixed] [--seed S] [--tokens FILE.h5]
      a random Llama with GQA (4 query heads, 2 KV heads) as transformers'
      LlamaForCausalLM saves it: config.json, model.safetensors or N shards
      with model.safetensors.index.json; q_proj/k_proj in HF's rotate-half
      row order. --dtypes mixed stores norms in BF16 and some linears in F16
      (the reference then uses exactly the stored values). --tokens writes a
      token file `hecaton train --data` reads.
  check DUMP.h5 DIR [--loss-rtol X] [--grad-rtol X]
      DUMP.h5 is `hecaton train --init DIR --steps 1 --dump-grads DUMP.h5`:
      its /params must be DIR's weights exactly (q/k rows un-permuted); the
      loss of its /batch/tokens and the gradient of every tensor are
      computed here in float64 by an HF-layout forward (rotate-half RoPE,
      repeat_kv GQA) and compared: loss within loss-rtol relative, each
      gradient within grad-rtol of the tensor's largest |gradient|; the worst
      tensor and element are named with both values.
  same A_DIR B_DIR [--dtype f32|bf16|f16] [--file-dtype f32|bf16|f16]
      every tensor of B equals A's converted to that dtype by torch (round
      to nearest even), bit for bit, stored as --file-dtype (default the
      same), and the configs agree.
  bad DIR
      the malformed folders of the bad-input tests (tests/cli/hf_bad_input.sh).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

NP_DT = {"F32": np.float32, "F16": np.float16, "F64": np.float64}
SIZE = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8}


# ---- safetensors, written and read by hand ------------------------------------
def to_bytes(t, dtype):
    t = t.detach().to(torch.float32)
    if dtype == "F32":
        return t.numpy().astype("<f4").tobytes()
    if dtype == "F16":
        return t.to(torch.float16).numpy().astype("<f2").tobytes()
    if dtype == "BF16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    if dtype == "F64":
        return t.to(torch.float64).numpy().astype("<f8").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, header_edit=None):
    """tensors: list of (name, torch tensor, dtype). header_edit(header) may
    change the header (bad-input fixtures)."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t, dt in tensors:
        b = to_bytes(t, dt)
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if header_edit:
        header_edit(header)
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    """{name: (float64 tensor, dtype)}; checks the layout a strict reader
    (the safetensors library) checks: contiguous, in order, no holes."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert header.get("__metadata__", {}).get("format") == "pt", f"{path}: no format pt"
    data, out, end = raw[8 + n:], {}, 0
    for name, e in sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                          key=lambda kv: kv[1]["data_offsets"][0]):
        b, en = e["data_offsets"]
        assert b == end, f"{path}: {name} does not follow the previous tensor"
        end = en
        chunk = data[b:en]
        if e["dtype"] == "BF16":
            u = np.frombuffer(chunk, "<u2").astype(np.uint32) << 16
            a = u.view(np.float32)
        else:
            a = np.frombuffer(chunk, NP_DT[e["dtype"]])
        out[name] = (torch.from_numpy(a.astype(np.float64).reshape(e["shape"])), e["dtype"])
    assert end == len(data), f"{path}: {len(data) - end} bytes after the last tensor"
    return out


def read_folder(d):
    idx = os.path.join(d, "model.safetensors.index.json")
    files = sorted(set(json.load(open(idx))["weight_map"].values())) if os.path.exists(idx) \
        else ["model.safetensors"]
    out = {}
    for f in files:
        out.update(read_safetensors(os.path.join(d, f)))
    return out, json.load(open(os.path.join(d, "config.json")))


# ---- the model ----------------------------------------------------------------------
CONFIG = dict(hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, vocab_size=160, max_position_embeddings=64,
              rms_norm_eps=1e-6, rope_theta=10000.0)


def hf_names(cfg, tied):
    names = ["model.embed_tokens.weight"]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        names += [p + "input_layernorm.weight"] + \
                 [p + f"self_attn.{x}_proj.weight" for x in "qkvo"] + \
                 [p + "post_attention_layernorm.weight"] + \
                 [p + f"mlp.{x}_proj.weight" for x in ("gate", "up", "down")]
    names.append("model.norm.weight")
    if not tied:
        names.append("lm_head.weight")
    return names


def shape_of(cfg, name):
    h, f, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    kv = cfg["num_key_value_heads"] * h // cfg["num_attention_heads"]
    if name.endswith("norm.weight"):
        return (h,)
    for key, s in (("embed_tokens", (V, h)), ("lm_head", (V, h)), ("q_proj", (h, h)),
                   ("k_proj", (kv, h)), ("v_proj", (kv, h)), ("o_proj", (h, h)),
                   ("gate_proj", (f, h)), ("up_proj", (f, h)), ("down_proj", (h, f))):
        if key in name:
            return s
    raise KeyError(name)


def dtype_of(name, mixed):
    if not mixed:
        return "F32"
    if name.endswith("norm.weight"):
        return "BF16"
    if "k_proj" in name or "up_proj" in name or "lm_head" in name:
        return "F16"
    return "F32"


def random_weights(cfg, tied, seed, mixed):
    g = torch.Generator().manual_seed(seed)
    W = {}
    for n in hf_names(cfg, tied):
        s = shape_of(cfg, n)
        if n.endswith("norm.weight"):
            t = 1 + 0.2 * torch.randn(s, generator=g)
        else:
            t = torch.randn(s, generator=g) * (0.5 if "embed" in n else 0.12)
        W[n] = (t, dtype_of(n, mixed))
    return W


def make(a):
    cfg = dict(CONFIG, tie_word_embeddings=a.tied, model_type="llama", hidden_act="silu",
               architectures=["LlamaForCausalLM"], torch_dtype="float32")
    W = random_weights(cfg, a.tied, a.seed, a.dtypes == "mixed")
    os.makedirs(a.dir, exist_ok=True)
    json.dump(cfg, open(os.path.join(a.dir, "config.json"), "w"), indent=2)
    names = list(W)
    if a.shards == 1:
        write_safetensors(os.path.join(a.dir, "model.safetensors"), [(n, *W[n]) for n in names])
    else:
        wmap = {}
        for k in range(a.shards):
            fn = f"model-{k + 1:05d}-of-{a.shards:05d}.safetensors"
            part = names[k::a.shards]  # interleaved: every shard holds parts of every layer
            write_safetensors(os.path.join(a.dir, fn), [(n, *W[n]) for n in part])
            wmap.update({n: fn for n in part})
        json.dump({"metadata": {"total_size": 0}, "weight_map": wmap},
                  open(os.path.join(a.dir, "model.safetensors.index.json"), "w"), indent=2)
    if a.tokens:
        import h5py
        g = np.random.default_rng(a.seed)
        with h5py.File(a.tokens, "w") as f:
            f["tokens"] = g.integers(0, cfg["vocab_size"], 20000).astype(np.uint16)
            f.attrs["vocab_size"] = cfg["vocab_size"]
            f.attrs["tokenizer"] = "random"
    print(f"wrote {a.dir}: {len(W)} tensors in {a.shards} file(s), tied={a.tied}, dtypes {a.dtypes}")


# ---- the forward, as transformers' modeling_llama computes it, in float64 -----------
def rmsnorm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


def forward_loss(W, cfg, tokens):
    """W: HF name -> float64 leaf tensor; tied models pass a separate
    lm_head.weight leaf (hecaton unties them), so both gradients come out."""
    h, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d, eps, theta = h // nh, cfg["rms_norm_eps"], cfg.get("rope_theta", 10000.0)
    inp, tgt = tokens[:, :-1], tokens[:, 1:]
    B, S = inp.shape
    inv = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = torch.arange(S, dtype=torch.float64)[:, None] * inv[None, :]
    emb = torch.cat((ang, ang), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((S, S), float("-inf"), dtype=torch.float64).triu(1)
    x = W["model.embed_tokens.weight"][inp]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        a = rmsnorm(x, W[p + "input_layernorm.weight"], eps)
        q = (a @ W[p + "self_attn.q_proj.weight"].T).view(B, S, nh, d).transpose(1, 2)
        k = (a @ W[p + "self_attn.k_proj.weight"].T).view(B, S, nkv, d).transpose(1, 2)
        v = (a @ W[p + "self_attn.v_proj.weight"].T).view(B, S, nkv, d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=1)  # repeat_kv
        v = v.repeat_interleave(nh // nkv, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / d ** 0.5 + mask, dim=-1) @ v
        x = x + att.transpose(1, 2).reshape(B, S, h) @ W[p + "self_attn.o_proj.weight"].T
        m = rmsnorm(x, W[p + "post_attention_layernorm.weight"], eps)
        gate = torch.nn.functional.silu(m @ W[p + "mlp.gate_proj.weight"].T)
        x = x + (gate * (m @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
    x = rmsnorm(x, W["model.norm.weight"], eps)
    logits = x @ W["lm_head.weight"].T
    return torch.nn.functional.cross_entropy(logits.reshape(B * S, -1), tgt.reshape(-1))


# ---- HF names and rows -> hecaton's ---------------------------------------------------
def hecaton_name(n):
    if n == "model.embed_tokens.weight":
        return "tok_embeddings.weight"
    if n == "model.norm.weight":
        return "norm.weight"
    if n == "lm_head.weight":
        return "output.weight"
    l, rest = n[len("model.layers."):].split(".", 1)
    return f"layers.{l}." + {
        "input_layernorm.weight": "attention_norm.weight",
        "self_attn.q_proj.weight": "attention.wq.weight",
        "self_attn.k_proj.weight": "attention.wk.weight",
        "self_attn.v_proj.weight": "attention.wv.weight",
        "self_attn.o_proj.weight": "attention.wo.weight",
        "post_attention_layernorm.weight": "ffn_norm.weight",
        "mlp.gate_proj.weight": "feed_forward.w1.weight",
        "mlp.down_proj.weight": "feed_forward.w2.weight",
        "mlp.up_proj.weight": "feed_forward.w3.weight"}[rest]


def to_meta_rows(n, t, cfg):
    """HF q/k rows -> Meta's adjacent-pair order: the inverse of the
    conversion script's permute, w.view(heads, 2, d/2, h).transpose(1, 2)."""
    heads = cfg["num_attention_heads"] if "q_proj" in n else \
        cfg["num_key_value_heads"] if "k_proj" in n else 0
    if not heads:
        return t
    d = cfg["hidden_size"] // cfg["num_attention_heads"]
    return t.reshape(heads, 2, d // 2, -1).transpose(1, 2).reshape(t.shape)


def check(a):
    import h5py
    hf, cfg = read_folder(a.dir)
    tied = "lm_head.weight" not in hf
    W = {n: t.clone().requires_grad_(True) for n, (t, _) in hf.items()}
    if tied:
        W["lm_head.weight"] = hf["model.embed_tokens.weight"][0].clone().requires_grad_(True)
    with h5py.File(a.dump, "r") as f:
        tokens = torch.from_numpy(f["batch/tokens"][()].astype(np.int64))
        loss_c = float(f["loss"][()][0])
        dump_p, dump_g = {}, {}
        for group, into in (("params", dump_p), ("grads", dump_g)):
            f[group].visititems(lambda k, o, into=into: into.__setitem__(k, o[()])
                                if isinstance(o, h5py.Dataset) else None)
    fails = []
    # the weights as imported: exactly the stored values, q/k rows un-permuted
    for n, t in W.items():
        hn = hecaton_name(n)
        want = to_meta_rows(n, t.detach(), cfg).numpy().astype(np.float32)
        got = dump_p[hn].reshape(want.shape)
        if not np.array_equal(got.view(np.uint32), want.view(np.uint32)):
            i = int(np.argmax(np.abs(got - want)))
            fails.append(f"params {hn}[{i}]: imported {got.flat[i]!r}, stored {want.flat[i]!r}")
    loss = forward_loss(W, cfg, tokens)
    loss.backward()
    lrel = abs(loss_c - loss.item()) / abs(loss.item())
    print(f"loss: hecaton {loss_c:.9g}, torch float64 {loss.item():.12g}, relative difference "
          f"{lrel:.2e} (bound {a.loss_rtol:g})")
    if not lrel <= a.loss_rtol:
        fails.append(f"loss {loss_c!r} vs {loss.item()!r}: relative {lrel:.2e}")
    worst = (0.0, "", 0, 0.0, 0.0)
    for n, t in W.items():
        hn = hecaton_name(n)
        ref = to_meta_rows(n, t.grad, cfg).numpy()
        got = dump_g[hn].reshape(ref.shape).astype(np.float64)
        err = np.abs(got - ref)
        i = int(np.argmax(err))
        rel = err.flat[i] / max(np.abs(ref).max(), 1e-300)
        if rel > worst[0]:
            worst = (rel, hn, i, got.flat[i], ref.flat[i])
        if not rel <= a.grad_rtol:
            fails.append(f"gradient {hn}[{i}]: hecaton {got.flat[i]:.9g}, torch {ref.flat[i]:.9g}, "
                         f"{rel:.2e} of the tensor's largest |gradient| (bound {a.grad_rtol:g})")
    print(f"gradients: {len(W)} tensors, worst {worst[1]}[{worst[2]}] hecaton {worst[3]:.9g} vs "
          f"torch {worst[4]:.9g}, {worst[0]:.2e} of the tensor's largest |gradient| "
          f"(bound {a.grad_rtol:g})")
    for f in fails:
        print("FAIL:", f)
    print("PASSED" if not fails else "FAILED")
    return 1 if fails else 0


def same(a):
    A, ca = read_folder(a.a)
    B, cb = read_folder(a.b)
    fails = []
    for k in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
              "num_key_value_heads", "vocab_size", "max_position_embeddings", "rms_norm_eps",
              "rope_theta"):
        if ca.get(k, 10000.0) != cb.get(k):
            fails.append(f"config {k}: {ca.get(k)} vs {cb.get(k)}")
    if "lm_head.weight" not in A:  # tied: the export writes the copy
        A["lm_head.weight"] = A["model.embed_tokens.weight"]
    tdt = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[a.dtype]
    want_dt = (a.file_dtype or a.dtype).upper()
    if set(A) != set(B):
        fails.append(f"tensor names differ: {sorted(set(A) ^ set(B))}")
    for n in sorted(set(A) & set(B)):
        x, y = A[n][0].to(torch.float32).to(tdt).to(torch.float64), B[n][0]
        if B[n][1] != want_dt:
            fails.append(f"{n}: dtype {B[n][1]}, expected {want_dt}")
        if x.shape != y.shape or not torch.equal(x, y):
            d = (x - y).abs().flatten() if x.shape == y.shape else None
            i = int(d.argmax()) if d is not None else -1
            fails.append(f"{n}: differs" + (f" at [{i}]: {x.flatten()[i].item()!r} vs "
                                            f"{y.flatten()[i].item()!r}" if i >= 0 else " in shape"))
    for f in fails:
        print("FAIL:", f)
    print(f"{len(B)} tensors of {a.b} {'equal' if not fails else 'differ from'} {a.a}'s in "
          f"{a.dtype} bit for bit")
    return 1 if fails else 0


# ---- bad folders -----------------------------------------------------------------------
def bad(a):
    cfg = dict(CONFIG, num_hidden_layers=1, vocab_size=32, tie_word_embeddings=False)
    W = random_weights(cfg, False, 7, False)
    items = [(n, t, dt) for n, (t, dt) in W.items()]

    def folder(name, config=cfg, edit=None, tensors=None, raw_config=None):
        d = os.path.join(a.dir, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            f.write(raw_config if raw_config is not None else json.dumps(config))
        write_safetensors(os.path.join(d, "model.safetensors"), tensors or items, edit)
        return d

    def set_offsets(name, b, e):
        return lambda h: h[name].__setitem__("data_offsets", [b, e])

    folder("good")
    q = "model.layers.0.self_attn.q_proj.weight"
    folder("offsets_past_end", edit=lambda h: h[q].__setitem__(
        "data_offsets", [h[q]["data_offsets"][0], 10 ** 9]))
    first = "model.embed_tokens.weight"
    folder("overlap", edit=lambda h: h[q].__setitem__("data_offsets", [
        h[first]["data_offsets"][0], h[first]["data_offsets"][0] + h[q]["data_offsets"][1] -
        h[q]["data_offsets"][0]]))
    folder("shape_vs_bytes", edit=lambda h: h[q].__setitem__("shape", [64, 63]))
    folder("dtype_f64", tensors=[(n, t, "F64" if n == q else dt) for n, t, dt in items])
    folder("config_kv_heads", config=dict(cfg, num_key_value_heads=4))
    folder("config_malformed", raw_config=json.dumps(cfg)[:-20])
    folder("no_lm_head", tensors=[x for x in items if x[0] != "lm_head.weight"])
    folder("missing_tensor", tensors=[x for x in items if "up_proj" not in x[0]])
    folder("rope_scaling", config=dict(cfg, rope_scaling={"rope_type": "llama3", "factor": 8.0}))
    d = folder("header_malformed")
    raw = bytearray(open(os.path.join(d, "model.safetensors"), "rb").read())
    raw[8:12] = b"{{{{"
    open(os.path.join(d, "model.safetensors"), "wb").write(bytes(raw))
    d = folder("truncated")
    raw = open(os.path.join(d, "model.safetensors"), "rb").read()
    open(os.path.join(d, "model.safetensors"), "wb").write(raw[:6])
    # two shards, the second missing
    d = os.path.join(a.dir, "shard_missing")
    os.makedirs(d, exist_ok=True)
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
    write_safetensors(os.path.join(d, "model-00001-of-00002.safetensors"), items[:5])
    wmap = {n: "model-00001-of-00002.safetensors" for n, _, _ in items[:5]}
    wmap.update({n: "model-00002-of-00002.safetensors" for n, _, _ in items[5:]})
    json.dump({"weight_map": wmap}, open(os.path.join(d, "model.safetensors.index.json"), "w"))
    d = os.path.join(a.dir, "index_malformed")
    os.makedirs(d, exist_ok=True)
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
    open(os.path.join(d, "model.safetensors.index.json"), "w").write('{"weight_map": {"a": ')
    print(f"bad folders written in {a.dir}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("dir")
    m.add_argument("--tied", action="store_true")
    m.add_argument("--shards", type=int, default=1)
    m.add_argument("--dtypes", choices=("f32", "mixed"), default="f32")
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--tokens")
    c = sub.add_parser("check")
    c.add_argument("dump")
    c.add_argument("dir")
    c.add_argument("--loss-rtol", type=float, default=1e-5)
    c.add_argument("--grad-rtol", type=float, default=1e-4)
    s = sub.add_parser("same")
    s.add_argument("a")
    s.add_argument("b")
    s.add_argument("--dtype", choices=("f32", "bf16", "f16"), default="f32",
                   help="B holds A's values rounded to this dtype")
    s.add_argument("--file-dtype", choices=("f32", "bf16", "f16"),
                   help="the dtype B's files store them in (default: --dtype)")
    b = sub.add_parser("bad")
    b.add_argument("dir")
    a = ap.parse_args()
    torch.set_num_threads(1)
    return {"make": make, "check": check, "same": same, "bad": bad}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
