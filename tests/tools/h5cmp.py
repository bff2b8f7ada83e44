#!/usr/bin/python3
"""h5cmp.py A.h5 B.h5 GROUP [--rel X | --abs X | --exact]: compare every dataset under
GROUP in two HDF5 files, tensor by tensor. Error of a tensor = max |a - b|
divided by max |a| (the tensor's largest value), as gradcheck measures it.
Prints one line per tensor (worst element and both values); exits 1 if any
tensor exceeds the bound (with --abs: max |a - b| over X; with --exact: any
difference), or if the two
files do not hold the same tensors with the same shapes."""
import argparse
import sys

import h5py
import numpy as np


def tensors(f, group):
    out = {}
    f[group].visititems(lambda name, obj: out.__setitem__(name, obj[()])
                        if isinstance(obj, h5py.Dataset) else None)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("group")
    ap.add_argument("--rel", type=float, default=1e-5)
    ap.add_argument("--abs", type=float, default=None, help="absolute bound instead of --rel")
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    o = ap.parse_args()
    with h5py.File(o.a, "r") as fa, h5py.File(o.b, "r") as fb:
        ta, tb = tensors(fa, o.group), tensors(fb, o.group)
    if sorted(ta) != sorted(tb):
        print(f"FAIL: {o.group}: tensor names differ: only in A {sorted(set(ta) - set(tb))}, "
              f"only in B {sorted(set(tb) - set(ta))}")
        return 1
    bad, worst = 0, (0.0, "")
    for name in sorted(ta):
        a, b = np.asarray(ta[name], np.float64), np.asarray(tb[name], np.float64)
        if a.shape != b.shape:
            print(f"FAIL {o.group}/{name}: shape {a.shape} vs {b.shape}")
            bad += 1
            continue
        d = np.abs(a - b)
        k = np.unravel_index(np.argmax(d), d.shape) if d.size else ()
        scale = np.max(np.abs(a)) if a.size else 0.0
        rel = float(d[k] / scale) if d.size and scale > 0 else float(d[k] if d.size else 0.0)
        if o.exact:
            fail = bool(d.size and d[k] > 0)
        elif o.abs is not None:
            fail = bool(d.size and d[k] > o.abs)
        else:
            fail = rel > o.rel
        if rel >= worst[0]:
            worst = (rel, name)
        if fail or not o.quiet:
            idx = ",".join(str(int(i)) for i in k)
            print(f"{'FAIL' if fail else 'ok  '} {o.group}/{name}: max rel err {rel:.3e} "
                  f"at [{idx}]: {a[k] if d.size else '-'} vs {b[k] if d.size else '-'}")
        bad += bool(fail)
    bound = "exact" if o.exact else f"absolute bound {o.abs:g}" if o.abs is not None else f"bound {o.rel:g}"
    print(f"{o.group}: {len(ta)} tensors, {bad} over the {bound}; worst {worst[0]:.3e} ({worst[1]})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
