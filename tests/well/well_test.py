"""slift's wave and flow data read with The Well's own loader (the_well.data.WellDataset).

Run by ctest (label `well`) with the interpreter of build/well-venv (scripts/well-venv.sh):
    well_test.py SLIFT_BIN SOURCE_DIR WORK_DIR
It simulates small wave and flow runs, exports them with `slift export-well` and checks, with
The Well's code only: boundary conditions as written, field ranks, a permeability that stays
positive (and follows the axes) under every geometric augmentation The Well offers, and
normalised samples equal to (x - mean) / std of the training set computed here with NumPy.
When SLIFT_WELL_CHECKER names a copy of The Well's scripts/check_thewell_formatting.py it also
runs that checker on every file (it is not part of the PyPI package).
"""

import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import torch
from the_well.data import WellDataset
from the_well.data.augmentation import (
    Compose,
    RandomAxisFlip,
    RandomAxisPermute,
    RandomAxisRoll,
    RandomRotation90,
)
from the_well.data.datasets import BoundaryCondition
from the_well.data.normalization import ZScoreNormalization

SLIFT, SOURCE, WORK = sys.argv[1:4]
FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


def export(name, overrides):
    run_dir = os.path.join(WORK, "runs", name)
    out = os.path.join(WORK, "well")
    sets = sum((["--set", s] for s in [f"output_dir={run_dir}"] + overrides), [])
    subprocess.run([SLIFT, "simulate", f"{SOURCE}/configs/{name}.yaml", "-q", *sets], check=True)
    subprocess.run([SLIFT, "export-well", run_dir, out], check=True)
    return os.path.join(out, name)


def dataset(root, **kw):
    return WellDataset(path=root, well_split_name="train", n_steps_input=3, n_steps_output=1, **kw)


def check_boundaries_and_ranks(root, bc, variable, constant):
    ds = dataset(root)
    sample = ds[0]
    want = torch.full((2, 2), float(BoundaryCondition[bc].value))
    check(torch.equal(sample["boundary_conditions"], want), f"{root}: both axes read as {bc}")
    check(ds.metadata.field_names == variable, f"{root}: time-varying fields {ds.metadata.field_names}")
    check(ds.metadata.constant_field_names == constant, f"{root}: static fields {ds.metadata.constant_field_names}")
    nx, ny = ds.metadata.spatial_resolution
    n_var = sum(len(v) for v in variable.values())
    n_const = sum(len(v) for v in constant.values())
    check(tuple(sample["input_fields"].shape) == (3, nx, ny, n_var), f"{root}: input_fields (3, nx, ny, {n_var})")
    check(tuple(sample["constant_fields"].shape) == (nx, ny, n_const), f"{root}: constant_fields (nx, ny, {n_const})")
    return ds


def check_normalisation(root, split_file):
    """The Well's z-score normalisation with slift's stats.yaml against NumPy on the raw file."""
    raw = dataset(root)
    norm = dataset(root, use_normalization=True, normalization_type=ZScoreNormalization)
    with h5py.File(split_file, "r") as f:
        names = list(f["t0_fields"].attrs["field_names"])
        moments = {n: (f["t0_fields"][n][...].astype(np.float64)) for n in names}
    variable = [n for n in names if moments[n].ndim == 4]
    static = [n for n in names if moments[n].ndim == 3]
    for i in (0, len(raw) // 2, len(raw) - 1):
        a, b = raw[i], norm[i]
        for key, fields in (("input_fields", variable), ("constant_fields", static)):
            for c, n in enumerate(fields):
                mean, std = moments[n].mean(), max(moments[n].std(), 1e-4)
                want = (a[key][..., c].double() - mean) / std
                err = (b[key][..., c].double() - want).abs().max().item()
                check(err < 1e-4 * max(1.0, want.abs().max().item()), f"{root}: sample {i} {key} {n} normalised (err {err:.2g})")


def check_permeability(root):
    """Every geometric augmentation keeps K positive definite and diagonal, and moves it with the axes."""
    augmentations = {
        "RandomAxisFlip": RandomAxisFlip(p=1.0),
        "RandomAxisPermute": RandomAxisPermute(p=1.0),
        "RandomAxisRoll": RandomAxisRoll(p=1.0),
        "RandomRotation90": RandomRotation90(p=1.0),
        "all composed": Compose(RandomAxisFlip(), RandomAxisPermute(), RandomAxisRoll(), RandomRotation90()),
    }
    base = dataset(root)
    names = base.metadata.constant_field_names[2]
    k = {n: names.index(n) for n in names}
    K0 = base[0]["constant_fields"]
    for label, transform in augmentations.items():
        ds = dataset(root, transform=transform)
        for seed in range(6):
            torch.manual_seed(seed)
            np.random.seed(seed)
            K = ds[0]["constant_fields"]
            diag = torch.stack([K[..., k["K_xx"]], K[..., k["K_yy"]]])
            off = torch.stack([K[..., k["K_xy"]], K[..., k["K_yx"]]])
            ok = bool((diag > 0).all()) and bool((off == 0).all())
            # The same values, possibly swapped between K_xx and K_yy when the axes were swapped.
            same = sorted(diag.flatten().tolist()) == sorted(
                torch.stack([K0[..., k["K_xx"]], K0[..., k["K_yy"]]]).flatten().tolist()
            )
            check(ok and same, f"{root}: K positive and diagonal under {label} (seed {seed})")


def check_axes_follow(root):
    """Under an axis swap K_xx of the new x axis is K_yy of the old y axis (a tensor, not two scalars)."""
    base = dataset(root)
    names = base.metadata.constant_field_names[2]
    xx, yy = names.index("K_xx"), names.index("K_yy")
    K0 = base[0]["constant_fields"]
    swapped = dataset(root, transform=RandomRotation90(hardcoded_rotation_index=1))[0]["constant_fields"]
    candidates = [torch.rot90(K0[..., yy], r, (0, 1)) for r in range(4)] + [torch.rot90(K0[..., yy].T, r, (0, 1)) for r in range(4)]
    check(any(torch.equal(swapped[..., xx], c) for c in candidates), f"{root}: a 90-degree rotation moves K_yy into K_xx")


def run_checker(files):
    checker = os.environ.get("SLIFT_WELL_CHECKER", "")
    if not checker:
        print("note: SLIFT_WELL_CHECKER not set; The Well's check_thewell_formatting.py not run")
        return
    out = subprocess.run([sys.executable, checker, *files], capture_output=True, text=True)
    print(out.stdout, out.stderr)
    check(out.returncode == 0 and "Error" not in out.stdout and "Traceback" not in out.stdout,
          f"The Well's checker passes on {len(files)} files")


def check_refusals():
    """A states run (Duffing) is not a data set of The Well: exit 2, one line, nothing written."""
    run_dir, out = os.path.join(WORK, "runs", "duffing"), os.path.join(WORK, "refused")
    subprocess.run([SLIFT, "simulate", f"{SOURCE}/configs/duffing.yaml", "-q", "--set", f"output_dir={run_dir}",
                    "--set", "simulate.n_train=2", "--set", "simulate.n_test=2"], check=True)
    for target in (run_dir, os.path.join(WORK, "no-such-run")):
        r = subprocess.run([SLIFT, "export-well", target, out], capture_output=True, text=True)
        text = (r.stdout + r.stderr).strip()
        check(r.returncode == 2 and len(text.splitlines()) == 1 and not os.path.exists(out),
              f"export-well {os.path.basename(target)}: exit 2, one line, nothing written ({text})")


def main():
    shutil.rmtree(WORK, ignore_errors=True)  # a fresh start on every run
    small = ["simulate.n_train=4", "simulate.n_test=3", "simulate.n_frames=5", "simulate.block=4"]
    wave = export("wave", small + ["simulate.n_floor=3", "simulate.n_solve=32", "simulate.n_out=16",
                                   "simulate.t_end=2.0"])
    flow = export("flow", small + ["simulate.n_floor=3", "simulate.nx=16", "simulate.ny=12",
                                   "simulate.store_pressure=true", "simulate.t_end=0.25"])
    check_boundaries_and_ranks(wave, "PERIODIC", {0: ["u"], 1: [], 2: []}, {0: ["c"], 1: [], 2: []})
    check_boundaries_and_ranks(flow, "WALL", {0: ["s", "p"], 1: [], 2: []},
                               {0: [], 1: [], 2: ["K_xx", "K_xy", "K_yx", "K_yy"]})
    check_normalisation(wave, f"{wave}/data/train/wave_train.hdf5")
    check_normalisation(flow, f"{flow}/data/train/flow_train.hdf5")
    check_permeability(flow)
    check_axes_follow(flow)
    for root in (wave, flow):
        for split in ("test", "floor"):
            ds = WellDataset(path=root, well_split_name=split)
            check(len(ds) > 0, f"{root}: split {split} loads ({len(ds)} windows)")
    check_refusals()
    run_checker([f"{root}/data/{s}/{os.path.basename(root)}_{s}.hdf5" for root in (wave, flow)
                 for s in ("train", "test", "floor")])
    print(f"{len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
