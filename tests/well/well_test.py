"""slift's wave and flow data read with The Well's own code.

Run by ctest (label `well`) with the interpreter of build/well-venv (scripts/well-venv.sh):
    well_test.py SLIFT_BIN SOURCE_DIR WORK_DIR
It simulates small wave and flow runs, exports them with `slift export-well` and checks, with
The Well's code only: boundary conditions as written, field ranks, a permeability that stays
positive (and follows the axes) and wells that move with it under every augmentation the card
declares physical, normalised samples equal to (x - mean) / std of the training set computed here
with NumPy, The Well's metadata, and WellDataModule built as the card and docs say. An export is
a copy: writing to it leaves the run as it was. A data set name from a file is used as a
directory only when it is a plain name, and an existing export is replaced only with --force.

The Well's scripts (scripts/check_thewell_formatting.py, scripts/compute_statistics.py) are not
part of its PyPI package: with SLIFT_THE_WELL_SOURCE naming a checkout of PolymathicAI/the_well,
the checker runs on every exported file and compute_statistics on every training set.
"""

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
import torch
import yaml
from the_well.data import WellDataModule, WellDataset
from the_well.data.data_formatter import DefaultChannelsFirstFormatter
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
THE_WELL_SOURCE = os.environ.get("SLIFT_THE_WELL_SOURCE", "")
FAILURES = []
AUGMENTATIONS = {
    "RandomAxisFlip": RandomAxisFlip,
    "RandomAxisPermute": RandomAxisPermute,
    "RandomAxisRoll": RandomAxisRoll,
    "RandomRotation90": RandomRotation90,
}


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


def simulate(config, run, overrides):
    run_dir = os.path.join(WORK, "runs", run)
    sets = sum((["--set", s] for s in [f"output_dir={run_dir}"] + overrides), [])
    subprocess.run([SLIFT, "simulate", f"{SOURCE}/configs/{config}.yaml", "-q", *sets], check=True)
    return run_dir


def export(config, overrides, out="well", run=None):
    run_dir = simulate(config, run or config, overrides)
    out = os.path.join(WORK, out)
    subprocess.run([SLIFT, "export-well", run_dir, out], check=True)
    return os.path.join(out, config)


def dataset(root, split="train", **kw):
    return WellDataset(path=root, well_split_name=split, n_steps_input=3, n_steps_output=1, **kw)


def declared_augmentations(root):
    """The augmentations the card declares physical, by name."""
    with open(f"{root}/README.md") as f:
        line = next(l for l in f if l.startswith("Augmentations that keep the data physical:"))
    return re.findall(r"`(\w+)`", line)


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


def check_normalisation(root):
    """The Well's z-score normalisation with slift's stats.yaml against NumPy on the raw file."""
    raw = dataset(root)
    norm = dataset(root, use_normalization=True, normalization_type=ZScoreNormalization)
    with h5py.File(f"{root}/data/train/{os.path.basename(root)}_train.hdf5", "r") as f:
        names = list(f["t0_fields"].attrs["field_names"])
        values = {n: f["t0_fields"][n][...].astype(np.float64) for n in names}
    variable = [n for n in names if values[n].ndim == 4]
    static = [n for n in names if values[n].ndim == 3]
    for i in (0, len(raw) // 2, len(raw) - 1):
        a, b = raw[i], norm[i]
        for key, fields in (("input_fields", variable), ("constant_fields", static)):
            for c, n in enumerate(fields):
                mean, std = values[n].mean(), max(values[n].std(), 1e-4)
                want = (a[key][..., c].double() - mean) / std
                err = (b[key][..., c].double() - want).abs().max().item()
                check(err < 1e-4 * max(1.0, want.abs().max().item()), f"{root}: sample {i} {key} {n} normalised (err {err:.2g})")


def flat_constant_names(ds):
    return [n for order in range(3) for n in ds.metadata.constant_field_names[order]]


def check_flow_augmentations(root):
    """Under every augmentation the card declares physical, K stays positive and diagonal, and the
    wells (field q) move exactly as K moves."""
    declared = declared_augmentations(root)
    check(declared == ["RandomAxisFlip", "RandomAxisPermute", "RandomRotation90"],
          f"{root}: walled flow declares flips, swaps and rotations, not rolls ({declared})")
    transforms = {n: AUGMENTATIONS[n](p=1.0) for n in declared}
    transforms["all declared, composed"] = Compose(*(AUGMENTATIONS[n]() for n in declared))
    base = dataset(root)
    names = flat_constant_names(base)
    k = {n: names.index(n) for n in names}
    C0 = base[0]["constant_fields"]
    K0, q0 = C0[..., k["K_xx"]], C0[..., k["q"]]
    check(q0[0, 0] > 0 and q0[-1, -1] < 0 and int((q0 != 0).sum()) == 2,
          f"{root}: q holds the injector in cell [0, 0] and the producer in the last cell")
    # The eight symmetries of the square, as (rotations, transpose) of an (x, y) array.
    moves = [(r, t) for r in range(4) for t in (False, True)]

    def move(a, r, t):
        return torch.rot90(a.T if t else a, r, (0, 1))

    moved_wells = 0
    for label, transform in transforms.items():
        ds = dataset(root, transform=transform)
        for seed in range(6):
            torch.manual_seed(seed)
            np.random.seed(seed)
            C = ds[0]["constant_fields"]
            diag = torch.stack([C[..., k["K_xx"]], C[..., k["K_yy"]]])
            off = torch.stack([C[..., k["K_xy"]], C[..., k["K_yx"]]])
            same = sorted(diag.flatten().tolist()) == sorted(torch.stack([K0, C0[..., k["K_yy"]]]).flatten().tolist())
            check(bool((diag > 0).all()) and bool((off == 0).all()) and same,
                  f"{root}: K positive and diagonal under {label} (seed {seed})")
            # The move that took K_xx (or K_yy, after a swap) where it is takes q along.
            K = C[..., k["K_xx"]]
            found = [(r, t) for r, t in moves for src in (K0, C0[..., k["K_yy"]]) if torch.equal(K, move(src, r, t))]
            q = C[..., k["q"]]
            check(bool(found) and any(torch.equal(q, move(q0, r, t)) for r, t in found),
                  f"{root}: the wells move with K under {label} (seed {seed})")
            moved_wells += int(not torch.equal(q, q0))
    check(moved_wells > 0, f"{root}: some augmented samples have their wells elsewhere ({moved_wells})")


def check_flip_moves_wells(root):
    """A flip of x alone (The Well's own flip): K and q flipped along x together."""
    base = dataset(root)
    names = flat_constant_names(base)
    K, q = names.index("K_xx"), names.index("q")
    C0 = base[0]["constant_fields"]
    x_flip = dataset(root, transform=lambda data, meta: RandomAxisFlip.flip(data, torch.tensor([True, False])))
    C = x_flip[0]["constant_fields"]
    check(torch.equal(C[..., K], torch.flip(C0[..., K], (0,))), f"{root}: an x flip flips K along x")
    check(torch.equal(C[..., q], torch.flip(C0[..., q], (0,))) and C[-1, 0, q] > 0 and C[0, -1, q] < 0,
          f"{root}: an x flip moves the injector to cell [nx-1, 0] and the producer to [0, ny-1], with K")


def check_wave_augmentations(root):
    declared = declared_augmentations(root)
    check(declared == ["RandomAxisFlip", "RandomAxisPermute", "RandomRotation90", "RandomAxisRoll"],
          f"{root}: periodic wave declares every geometric augmentation ({declared})")
    ds = dataset(root, transform=Compose(*(AUGMENTATIONS[n]() for n in declared)))
    check(all(torch.isfinite(ds[i]["input_fields"]).all() for i in range(3)), f"{root}: augmented samples load")


def check_metadata(root):
    """<name>.yaml equals The Well's metadata of the valid split (what its generate_metadata.py writes)."""
    name = os.path.basename(root)
    with open(f"{root}/{name}.yaml") as f:
        ours = yaml.safe_load(f)
    meta = dataset(root, "valid").metadata.__dict__
    want = {k: (list(v) if isinstance(v, tuple) else v) for k, v in meta.items()}
    check(ours == want, f"{root}: {name}.yaml is The Well's metadata" + ("" if ours == want else f" ({ours} vs {want})"))


def check_datamodule(root):
    """WellDataModule exactly as the card says: train, valid and test batches, normalised."""
    with open(f"{root}/README.md") as f:
        code = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
    scope = {}
    exec(code, scope)  # the card's own snippet
    dm = scope["dm"]
    check(isinstance(dm, WellDataModule), f"{root}: the card builds a WellDataModule")
    for loader in ("train_dataloader", "val_dataloader", "rollout_val_dataloader", "test_dataloader",
                   "rollout_test_dataloader"):
        batch = next(iter(getattr(dm, loader)()))
        check(batch["input_fields"].ndim == 5 and torch.isfinite(batch["input_fields"]).all(),
              f"{root}: {loader} yields a batch {tuple(batch['input_fields'].shape)}")
    # The benchmark trainer's path: its model input width from the metadata, its formatter on a batch.
    meta = dm.train_dataset.metadata
    (x,), y = DefaultChannelsFirstFormatter(meta).process_input(next(iter(dm.train_dataloader())))
    width = dm.train_dataset.n_steps_input * meta.n_fields + meta.n_constant_fields
    check(x.shape[1] == width and y.shape[-1] == meta.n_fields,
          f"{root}: the benchmark's formatter gives {width} input channels, {meta.n_fields} outputs")
    check(dm.val_dataset.files_paths[0].endswith("data/valid/" + os.path.basename(root) + "_valid.hdf5"),
          f"{root}: the valid split is its own folder")


def the_well_script(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(THE_WELL_SOURCE, "scripts", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_compute_statistics(root):
    """The Well's compute_statistics accepts the training set and agrees with slift's stats.yaml."""
    theirs_path = os.path.join(WORK, f"stats-{abs(hash(root))}.yaml")
    if os.path.exists(theirs_path):
        os.remove(theirs_path)
    try:
        the_well_script("compute_statistics").compute_statistics(f"{root}/data/train", theirs_path)
    except AssertionError as e:
        check(False, f"{root}: compute_statistics accepts it ({e})")
        return
    with open(theirs_path) as f:
        theirs = yaml.safe_load(f)
    with open(f"{root}/stats.yaml") as f:
        ours = yaml.safe_load(f)
    worst = max(abs(np.asarray(ours[s][n], float) - np.asarray(v, float)).max() / max(1e-6, np.abs(v).max())
                for s in theirs for n, v in theirs[s].items())
    check(set(theirs) == set(ours) and all(set(theirs[s]) == set(ours[s]) for s in theirs) and worst < 1e-3,
          f"{root}: compute_statistics accepts it and agrees with stats.yaml (largest relative difference {worst:.2g})")


def check_diagonal_refused(root):
    """What the docs say: a diagonal permeability tensor's zero off-diagonal entries fail
    compute_statistics' per-component check (slift's stats.yaml covers them)."""
    try:
        the_well_script("compute_statistics").compute_statistics(f"{root}/data/train", os.path.join(WORK, "diag.yaml"))
        check(False, f"{root}: compute_statistics refuses the diagonal tensor K")
    except AssertionError as e:
        check("'K' field is abnormally low" in str(e), f"{root}: compute_statistics refuses the diagonal tensor K ({e})")


def run_checker(files):
    out = subprocess.run([sys.executable, os.path.join(THE_WELL_SOURCE, "scripts", "check_thewell_formatting.py"), *files],
                         capture_output=True, text=True)
    text = out.stdout + out.stderr
    print(text)
    # It exits 0 on failure too: a file passed when no traceback follows it and its last group passed.
    check(out.returncode == 0 and "Traceback" not in text and text.count("/boundary_conditions passed!") == len(files),
          f"The Well's checker passes on {len(files)} files")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_export_is_a_copy(root, run_dir, config, overrides):
    """Writing to an exported file leaves the run's data and its up-to-date state as they were."""
    dry = [SLIFT, "run", f"{SOURCE}/configs/{config}.yaml", "--dry-run",
           *sum((["--set", s] for s in [f"output_dir={run_dir}"] + overrides), [])]
    before_dry = subprocess.run(dry, capture_output=True, text=True)
    before = {s: sha256(f"{run_dir}/data/{s}.h5") for s in ("train", "test", "floor")}
    for split in ("train", "valid", "test"):
        with h5py.File(f"{root}/data/{split}/{os.path.basename(root)}_{split}.hdf5", "r+") as f:
            f.attrs["edited_by_a_user"] = 1
    after = {s: sha256(f"{run_dir}/data/{s}.h5") for s in ("train", "test", "floor")}
    after_dry = subprocess.run(dry, capture_output=True, text=True)
    check(before == after, f"{root}: h5py r+ on the exported files leaves the run's data byte-identical")
    check(after_dry.returncode == 0 and after_dry.stdout + after_dry.stderr == before_dry.stdout + before_dry.stderr
          and "simulate: up to date" in after_dry.stdout + after_dry.stderr,
          f"{root}: `slift run --dry-run` still finds the data up to date")


def check_refusals(wave_run):
    """Runs that are not a data set of The Well, hostile names, existing exports: exit 2, one line."""
    run_dir, out = os.path.join(WORK, "runs", "duffing"), os.path.join(WORK, "refused")
    subprocess.run([SLIFT, "simulate", f"{SOURCE}/configs/duffing.yaml", "-q", "--set", f"output_dir={run_dir}",
                    "--set", "simulate.n_train=2", "--set", "simulate.n_test=2"], check=True)

    def refused(args, what):
        r = subprocess.run([SLIFT, "export-well", *args], capture_output=True, text=True)
        text = (r.stdout + r.stderr).strip()
        check(r.returncode == 2 and len(text.splitlines()) == 1, f"export-well {what}: exit 2, one line ({text})")
        return text

    for target in (run_dir, os.path.join(WORK, "no-such-run")):
        refused([target, out], os.path.basename(target))
        check(not os.path.exists(out), f"export-well {os.path.basename(target)}: nothing written")

    # A data set naming ../precious: refused before anything is removed or written outside OUT.
    hostile = os.path.join(WORK, "runs", "hostile")
    shutil.copytree(f"{wave_run}/data", f"{hostile}/data")
    for s in ("train", "test", "floor"):
        with h5py.File(f"{hostile}/data/{s}.h5", "r+") as f:
            f.attrs["dataset_name"] = "../precious"
    precious = os.path.join(WORK, "precious")
    os.makedirs(precious)
    with open(f"{precious}/keep.txt", "w") as f:
        f.write("mine")
    os.makedirs(f"{WORK}/hostile-out")
    text = refused([hostile, f"{WORK}/hostile-out", "--force"], "of a data set named ../precious")
    check("../precious" in text and os.listdir(precious) == ["keep.txt"] and os.listdir(f"{WORK}/hostile-out") == [],
          "a data set named ../precious: precious untouched, nothing written in OUT")

    # An existing export: kept without --force; with --force replaced only by a complete one.
    target = os.path.join(WORK, "again", "wave")
    subprocess.run([SLIFT, "export-well", wave_run, os.path.dirname(target)], check=True)
    with open(f"{target}/mine.txt", "w") as f:
        f.write("a user's file in the old export")
    refused([wave_run, os.path.dirname(target)], "onto an existing export without --force")
    check(os.path.exists(f"{target}/mine.txt"), "without --force the existing export stays as it was")
    refused([run_dir, os.path.dirname(target), "--force"], "of a states run with --force")
    check(os.path.exists(f"{target}/mine.txt") and os.listdir(os.path.dirname(target)) == ["wave"],
          "a failed --force export leaves the old one and no leftovers")
    r = subprocess.run([SLIFT, "export-well", wave_run, os.path.dirname(target), "--force"], capture_output=True, text=True)
    check(r.returncode == 0 and not os.path.exists(f"{target}/mine.txt") and os.listdir(os.path.dirname(target)) == ["wave"]
          and len(dataset(target)) > 0, "with --force a complete new export replaces the old one")
    umask = os.umask(0)
    os.umask(umask)
    check(os.stat(target).st_mode & 0o777 == 0o777 & ~umask, "the export's directory has the umask's permissions")


def main():
    shutil.rmtree(WORK, ignore_errors=True)  # a fresh start on every run
    small = ["simulate.n_train=4", "simulate.n_test=3", "simulate.n_floor=3", "simulate.n_frames=5", "simulate.block=4"]
    wave_set = small + ["simulate.n_solve=32", "simulate.n_out=16", "simulate.t_end=2.0"]
    flow_set = small + ["simulate.nx=16", "simulate.ny=16", "simulate.store_pressure=true", "simulate.t_end=0.25"]
    iso_set = flow_set + ["simulate.permeability.tensor=isotropic"]
    wave = export("wave", wave_set)
    flow = export("flow", flow_set)
    iso = export("flow", iso_set, out="well-isotropic", run="flow-isotropic")
    check_boundaries_and_ranks(wave, "PERIODIC", {0: ["u"], 1: [], 2: []}, {0: ["c"], 1: [], 2: []})
    check_boundaries_and_ranks(flow, "WALL", {0: ["s", "p"], 1: [], 2: []},
                               {0: ["q"], 1: [], 2: ["K_xx", "K_xy", "K_yx", "K_yy"]})
    check_boundaries_and_ranks(iso, "WALL", {0: ["s", "p"], 1: [], 2: []}, {0: ["K", "q"], 1: [], 2: []})
    for root in (wave, flow, iso):
        check_normalisation(root)
        check_metadata(root)
        check_datamodule(root)
    check_flow_augmentations(flow)
    check_flip_moves_wells(flow)
    check_wave_augmentations(wave)
    check_export_is_a_copy(flow, os.path.join(WORK, "runs", "flow"), "flow", flow_set)
    check_refusals(os.path.join(WORK, "runs", "wave"))
    if THE_WELL_SOURCE:
        for root in (wave, iso):
            check_compute_statistics(root)
        check_diagonal_refused(flow)
        run_checker([f"{root}/data/{s}/{os.path.basename(root)}_{s}.hdf5" for root in (wave, flow, iso)
                     for s in ("train", "valid", "test")])
    else:
        print("note: SLIFT_THE_WELL_SOURCE not set; The Well's checker and compute_statistics not run")
    print(f"{len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
