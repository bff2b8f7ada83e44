"""Checks of a LoRA finetuning run's files (tests/cli/lora_finetune.sh).

  lora_check.py frozen BASE.h5 LORA.h5
      every base tensor of LORA.h5 equals BASE.h5's bit for bit (the base
      stayed frozen) and the adapters B moved away from zero
  lora_check.py merged LORA.h5 HF_DIR
      HF_DIR/model.safetensors holds W + (alpha / r) B A for every adapted
      linear (q_proj and k_proj rows in Hugging Face's rotate-half order),
      computed here in float64, and the other tensors unchanged

Run with Debian's /usr/bin/python3 (python3-numpy, python3-h5py). Prints
the worst element of the first tensor that fails.
"""
import json
import struct
import sys

import h5py
import numpy as np

HF = {"attention.wq": "self_attn.q_proj", "attention.wk": "self_attn.k_proj",
      "attention.wv": "self_attn.v_proj", "attention.wo": "self_attn.o_proj",
      "feed_forward.w1": "mlp.gate_proj", "feed_forward.w2": "mlp.down_proj",
      "feed_forward.w3": "mlp.up_proj"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in head.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            fail("%s: dtype %s, this check reads F32" % (name, t["dtype"]))
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(t["shape"])
    return out


def to_hf_rows(w, heads):
    """Meta's adjacent-pair rows -> Hugging Face's rotate-half order."""
    d = w.shape[0] // heads
    return w.reshape(heads, d // 2, 2, -1).transpose(0, 2, 1, 3).reshape(w.shape)


def worst(name, got, want):
    err = np.abs(got.astype(np.float64) - want)
    k = np.unravel_index(np.argmax(err), err.shape)
    scale = max(np.abs(want).max(), 1e-30)
    return err[k] / scale, "%s%s: got %.9g want %.9g (%.2e of the tensor's largest)" % (
        name, list(k), got[k], want[k], err[k] / scale)


def frozen(base_path, lora_path):
    with h5py.File(base_path, "r") as b, h5py.File(lora_path, "r") as l:
        names = list(b["params"].keys())
        n_ad = 0
        for n in names:
            if not np.array_equal(b["params"][n][()], l["params"][n][()]):
                fail("base tensor %s changed under LoRA" % n)
        for n in l["params"].keys():
            if n.endswith(".lora_b"):
                n_ad += 1
                if not np.any(l["params"][n][()]):
                    fail("%s is still zero after training" % n)
        if not n_ad:
            fail("%s holds no adapters" % lora_path)
    print("frozen: %d base tensors unchanged, %d B adapters trained" % (len(names), n_ad))


def merged(lora_path, hf_dir):
    st = safetensors(hf_dir + "/model.safetensors")
    with h5py.File(lora_path, "r") as f:
        r = int(f.attrs["lora_rank"])
        s = float(f.attrs["lora_alpha"]) / r
        nh, nkv = int(f.attrs["n_heads"]), int(f.attrs["n_kv_heads"])
        p = f["params"]
        checked = 0
        for name in p.keys():
            if not name.endswith(".weight") or not name.startswith("layers."):
                continue
            layer, rest = name.split(".")[1], ".".join(name.split(".")[2:-1])
            if rest not in HF:
                continue
            want = p[name][()].astype(np.float64)
            stem = name[: -len(".weight")]
            if stem + ".lora_a" in p:
                a = p[stem + ".lora_a"][()].astype(np.float64)
                bb = p[stem + ".lora_b"][()].astype(np.float64)
                want = want + s * (bb @ a)
                checked += 1
            if rest == "attention.wq":
                want = to_hf_rows(want, nh)
            elif rest == "attention.wk":
                want = to_hf_rows(want, nkv)
            hf = "model.layers.%s.%s.weight" % (layer, HF[rest])
            e, why = worst(hf, st[hf], want)
            if e > 1e-6:
                fail(why)
        if not checked:
            fail("no adapted tensor in %s" % lora_path)
    print("merged: %d adapted linears equal W + (alpha/r) B A in %s" % (checked, hf_dir))


if __name__ == "__main__":
    {"frozen": frozen, "merged": merged}[sys.argv[1]](*sys.argv[2:])
