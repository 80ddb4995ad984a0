"""Data in: slift trains, samples and evaluates on a data set of The Well written by plain h5py.

    data_in_test.py SLIFT_BIN SOURCE_DIR WORK_DIR [layouts]

Writes train/test/floor files of a small stochastic system (a Gaussian bump on a periodic 16^2
grid doing a random walk of one cell per frame) with h5py alone, in The Well's layout and without
any slift attribute; runs `slift run` on a config whose `data` section names them (no simulate
stage), with a short training of SL and the label-free model; then checks metrics.json, the
report, that a second run does nothing, and that rewriting the training file reruns training.

With `layouts`: the other layouts The Well allows. Those slift reads (several fields with
data.state_field, static fields as conditioning with data.condition_on, one time axis per
trajectory, axes named other than x, y) train end to end;
those it cannot read as meant (vector states, a time axis that is not uniform or differs between
trajectories, splits that disagree, declared sizes the file does not hold, ...) exit 2 before
any work in one line naming the reason.
"""

import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import yaml

SLIFT, SOURCE, WORK = sys.argv[1:4]
N, T = 16, 6
FAILURES = []


def check(ok, what, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else "\n" + detail[-3000:]))
    if not ok:
        FAILURES.append(what)


def write_well(path, n_traj, seed, name="random_walk", axes=("x", "y"), bc="PERIODIC", n=N, time=None,
               per_trajectory_time=False, fields=None, state_order=0, state_attrs=None, dtype=np.float32,
               declared=None):
    """A Well file; the keywords make the layouts slift must read as meant or refuse: `fields`
    adds t0 fields (name -> time_varying), `state_order` 1 stores the state u as a vector (t1)
    field, `declared` declares that many trajectories of u and writes none of them."""
    rng = np.random.default_rng(seed)
    time = np.arange(T, dtype=np.float32) if time is None else np.asarray(time, np.float32)
    nd, x = len(axes), (np.arange(n) + 0.5) / n  # one axis of n cells per name
    grid = (n,) * nd
    r2 = sum((c - 0.5) ** 2 for c in np.meshgrid(*[x] * nd, indexing="ij"))
    bump = np.exp(-r2 / (2 * 0.08**2)).astype(np.float32)
    u = np.empty((n_traj, len(time)) + grid, np.float32)
    for i in range(n_traj):
        shift = np.zeros(nd, int)
        for t in range(len(time)):
            u[i, t] = np.roll(bump, tuple(shift), axis=tuple(range(nd)))
            shift += rng.integers(-1, 2, size=nd)
    with h5py.File(path, "w") as f:
        f.attrs.update(dataset_name=name, grid_type="cartesian", n_spatial_dims=nd,
                       n_trajectories=declared or n_traj, simulation_parameters=["step"], step=1.0)
        dims = f.create_group("dimensions")
        dims.attrs["spatial_dims"] = list(axes)
        times = np.tile(time, (n_traj, 1)) if per_trajectory_time else time
        d = dims.create_dataset("time", data=times)
        d.attrs.update(sample_varying=per_trajectory_time, time_varying=True)
        for axis in axes:
            d = dims.create_dataset(axis, data=x.astype(np.float32))
            d.attrs.update(sample_varying=False, time_varying=False)
        bcs = f.create_group("boundary_conditions")
        for axis, kind in zip(axes, bc if isinstance(bc, tuple) else (bc,) * len(axes)):  # one type, or one per axis
            g = bcs.create_group(f"{kind.lower()}_{axis}")
            g.attrs.update(bc_type=kind, associated_dims=[axis], associated_fields=["u"],
                           sample_varying=False, time_varying=False)
            mask = np.zeros(n, bool)
            mask[[0, -1]] = True
            g.create_dataset("mask", data=mask)
        scalars = f.create_group("scalars")
        scalars.attrs["field_names"] = ["step"]
        s = scalars.create_dataset("step", data=1.0)
        s.attrs.update(sample_varying=False, time_varying=False)
        fields = {"u": True, **(fields or {})}
        groups = {0: [k for k in fields if k != "u"], 1: [], 2: []}
        groups[state_order].insert(0, "u")
        for order, names in groups.items():
            f.create_group(f"t{order}_fields").attrs["field_names"] = names
        for field, varying in fields.items():
            group = f[f"t{state_order}_fields" if field == "u" else "t0_fields"]
            if field != "u":
                data = rng.random((n_traj, len(time)) + grid if varying else (n_traj,) + grid, dtype=np.float32)
            elif declared:
                data = None
            else:
                data = np.stack([u, u], axis=-1) if state_order == 1 else u.astype(dtype)
            d = (group.create_dataset(field, shape=(declared, len(time)) + grid, dtype=np.float32) if data is None
                 else group.create_dataset(field, data=data))
            d.attrs.update(sample_varying=True, time_varying=varying, dim_varying=[True] * nd)
        f["t0_fields/u" if state_order == 0 else "t1_fields/u"].attrs.update(**(state_attrs or {}))


def slift_run(config, *extra):
    out = subprocess.run([SLIFT, "run", config, "--threads", "1", *extra], capture_output=True, text=True, cwd=WORK)
    return out.returncode, out.stdout + out.stderr


def main():
    shutil.rmtree(WORK, ignore_errors=True)  # a fresh start on every run
    os.makedirs(WORK)
    layouts() if sys.argv[4:] == ["layouts"] else simplest_layout()
    print(f"{len(FAILURES)} failed")
    return 1 if FAILURES else 0


def simplest_layout():
    files = {split: os.path.join(WORK, f"{split}.hdf5") for split in ("train", "test", "floor")}
    for k, (split, path) in enumerate(files.items()):
        write_well(path, 12 if split == "train" else 24, seed=k)
    cfg = yaml.safe_load(open(os.path.join(SOURCE, "configs", "wave.yaml")))
    del cfg["simulate"]
    cfg.update(name="random_walk", output_dir=os.path.join(WORK, "run"), data=files)
    cfg["train"].update(models=["sl", "deterministic"], unet_widths=[8, 16, 32], embed_dim=32, iterations=60,
                        warmup=10, checkpoint_every=60, log_every=30, batch_size=16)
    cfg["sample"].update(n_trajectories=24, batch_size=24)
    config = os.path.join(WORK, "random_walk.yaml")
    yaml.safe_dump(cfg, open(config, "w"))

    code, out = slift_run(config)
    check(code == 0, "slift run on h5py-written Well files", out)
    check("simulate" not in out.split("==> train")[0], "no simulate stage", out)
    metrics = json.load(open(os.path.join(WORK, "run", "metrics.json")))
    for key in ("sl", "deterministic", "sampling_floor", "data_floor"):
        check(key in metrics and np.isfinite(metrics[key]["wim"]), f"metrics.json has {key} with a finite WIM")
    check(metrics["sl"].get("n_generated") == 24, "24 rollouts")
    check(metrics.get("dataset") == "random_walk", "the data set's own name in metrics.json")
    check(os.path.getsize(os.path.join(WORK, "run", "report", "index.html")) > 1000, "report written")

    code, out = slift_run(config, "--dry-run")
    check(code == 0 and "would run" not in out, "a second run has nothing to do", out)
    write_well(files["train"], 12, seed=7)
    code, out = slift_run(config, "--dry-run")
    check(code == 0 and "train:sl" in out and "changed" in out, "a rewritten training file reruns training", out)

    # Bad input: one line naming the key and the file, exit code 2, nothing written.
    cfg["data"]["test"] = os.path.join(WORK, "missing.hdf5")
    cfg["output_dir"] = os.path.join(WORK, "bad")
    yaml.safe_dump(cfg, open(config, "w"))
    code, out = slift_run(config)
    check(code == 2 and "data.test" in out and "random_walk.yaml" in out and len(out.strip().splitlines()) == 1
          and not os.path.exists(cfg["output_dir"]), "a missing data file: exit 2, one line naming data.test", out)


def write_splits(tag, train=None, test=None, floor=None, **common):
    """train/test/floor files of one layout (`common`), each split's own keywords on top."""
    os.makedirs(os.path.join(WORK, tag), exist_ok=True)
    files = {}
    for k, (split, own) in enumerate((("train", train), ("test", test), ("floor", floor))):
        files[split] = os.path.join(WORK, tag, f"{split}.hdf5")
        write_well(files[split], 8, seed=k, **{**common, **(own or {})})
    return files


def write_config(tag, files, data=None, models=("deterministic",), **evaluate):
    """A short training on `files`, output in WORK/tag/run."""
    cfg = yaml.safe_load(open(os.path.join(SOURCE, "configs", "wave.yaml")))
    del cfg["simulate"]
    cfg.update(name=tag, output_dir=os.path.join(WORK, tag, "run"), data={**files, **(data or {})})
    cfg["train"].update(models=list(models), unet_widths=[8, 16], embed_dim=16, iterations=20, warmup=5,
                        checkpoint_every=20, log_every=10, batch_size=16)
    cfg["sample"].update(n_trajectories=8, batch_size=8)
    cfg.setdefault("evaluate", {}).update(evaluate)
    os.makedirs(os.path.join(WORK, tag), exist_ok=True)
    config = os.path.join(WORK, tag, "config.yaml")
    yaml.safe_dump(cfg, open(config, "w"))
    return config, cfg["output_dir"]


def refused(what, tag, files, reason, *extra, data=None, **evaluate):
    """`slift run` exits 2 before any work, in one line naming `reason`."""
    config, run = write_config(tag, files, data, **evaluate)
    code, out = slift_run(config, *extra)
    check(code == 2 and reason in out and len(out.strip().splitlines()) == 1 and not os.path.exists(run),
          f"refused, exit 2 in one line before any work: {what}", out)


def trained(what, tag, files, data=None, models=("deterministic",), **evaluate):
    """`slift run` trains, samples and evaluates; returns its output and metrics."""
    config, run = write_config(tag, files, data, models, **evaluate)
    code, out = slift_run(config)
    metrics = json.load(open(os.path.join(run, "metrics.json"))) if code == 0 else {}
    check(code == 0 and all(np.isfinite(metrics[m]["wim"]) for m in models), f"trained end to end: {what}", out)
    return config, out, metrics


def layouts():
    # Several time-varying fields: the state is named by data.state_field; static fields are
    # named as ignored.
    files = write_splits("fields", fields={"p": True, "kappa": False})
    refused("two time-varying t0 fields, no data.state_field", "fields", files, "data.state_field")
    refused("data.state_field names a static field", "fields", files, "static field", data={"state_field": "kappa"})
    refused("data.state_field names no field", "fields", files, "no field 'q'", data={"state_field": "q"})
    config, out, metrics = trained("data.state_field picks u among u, p (and a static kappa)", "fields", files,
                                   data={"state_field": "u"}, models=("sl",))
    check(metrics.get("field") == "t0_fields/u", "metrics.json names the field data.state_field picked", str(metrics))
    check("'t0_fields/kappa' is a static field that slift ignores" in out and "data.condition_on makes" in out,
          "the ignored static field is named, with the key that uses it", out)
    code, out = slift_run(config, "--dry-run", "--set", "data.state_field=p")
    check(code == 0 and "train:sl" in out and "would run" in out, "another data.state_field retrains", out)

    # Static fields as conditioning: data.condition_on names t0 static fields, input channels of the
    # network; anything else is refused before any work, naming the file and why.
    data = {"state_field": "u"}
    refused("data.condition_on names a time-varying field", "conditioning", files, "'t0_fields/p' varies in time",
            data={**data, "condition_on": ["p"]})
    refused("data.condition_on names no field", "conditioning", files, "no field 'q' in t0_fields",
            data={**data, "condition_on": ["q"]})
    lacking = write_splits("conditioning_lacking", fields={"kappa": False}, test={"fields": {}})
    refused("a test file without the field conditioned on", "conditioning_lacking", lacking,
            "test.hdf5: no field 'kappa' in t0_fields", data={"condition_on": ["kappa"]})
    config, out, _ = trained("data.condition_on: [kappa]", "conditioning", files, data={**data, "condition_on": ["kappa"]},
                             models=("sl",))
    check("'t0_fields/kappa' is a static field" not in out and "'t0_fields/p' is a time-varying field that slift ignores" in out,
          "the field conditioned on is not named as ignored", out)
    code, out = slift_run(config, "--dry-run", "--set", "data.condition_on=[]")
    check(code == 0 and "train:sl" in out and "would run" in out, "dropping the conditioning retrains", out)

    # One time axis per trajectory, (n_traj, n_time): read when all rows agree.
    files = write_splits("time_rows", per_trajectory_time=True)
    config, _, _ = trained("a time axis per trajectory, the same in every row", "time_rows", files)
    with h5py.File(files["floor"], "r+") as f:  # inf in the floor file: a bad input, as NaN in the test file
        f["t0_fields/u"][1, 2, 3, 4] = np.inf
    code, out = slift_run(config)
    check(code == 2 and "floor.hdf5: inf at frame 2 of trajectory 1" in out, "inf in the floor file: exit 2 naming it", out)
    with h5py.File(files["test"], "r+") as f:
        f["dimensions/time"][3] += 0.5
    refused("time rows that differ", "time_rows_differ", files, "trajectory 3's differ from trajectory 0's")

    # Axes named r, theta (read by position), walls, and the crossing mask said explicitly.
    files = write_splits("axes", axes=("r", "theta"), bc="WALL")
    refused("walls with crossing_mask auto", "axes", files, "evaluate.crossing_mask")
    # One spatial axis: the field of a 1-D system, learned on its grid.
    trained("a 1-D field (one axis, periodic)", "one_axis", write_splits("one_axis", axes=("x",)))
    # Periodic along x, walled along y: `auto` would guess the corner as for walls, so it is refused too.
    refused("periodic x, walls y with crossing_mask auto", "mixed", write_splits("mixed", bc=("PERIODIC", "WALL")),
            "evaluate.crossing_mask")
    trained("spatial axes r, theta with walls and crossing_mask edges", "axes", files, crossing_mask="edges")
    out = subprocess.run([SLIFT, "inspect", files["test"]], capture_output=True, text=True).stdout
    check("axes r, theta" in out and "by another program than slift" in out and "seed 0" not in out,
          "inspect shows what a foreign file says about itself", out)

    # Layouts refused with their reason.
    files = write_splits("uneven", time=[0, 1, 2, 4, 5, 6])
    refused("a time axis that is not uniform", "uneven", files, "not uniform: steps from 1 to 2")
    out = subprocess.run([SLIFT, "inspect", files["test"]], capture_output=True, text=True).stdout
    check("not uniform: steps from 1 to 2" in out, "inspect says the time axis is not uniform", out)
    for what, split, own, reason in (
            ("train PERIODIC, test WALL", "test", {"bc": "WALL"}, "differ in boundaries (x WALL, y WALL against x PERIODIC, y PERIODIC)"),
            ("another data set name", "test", {"name": "other"}, "differ in data set name ('other' against 'random_walk')"),
            ("another grid", "floor", {"n": 8}, "differ in grid"),
            ("more frames", "floor", {"time": np.arange(T + 2)}, "differ in frames (8 against 6)")):
        files = write_splits("mismatch", **{split: own})
        refused(what, "mismatch", files, f"{split}.hdf5 and {files['train']} {reason}")
    refused("a vector (t1) state", "vector", write_splits("vector", state_order=1), "vector and tensor states are not supported")
    refused("a complex state", "complex", write_splits("complex", dtype=np.complex64), "holds complex or compound values")
    refused("a state marked not time-varying", "static", write_splits("static", state_attrs={"time_varying": False}),
            "is marked not time-varying")
    files = write_splits("sparse", train={"declared": 2_000_000})
    check(os.path.getsize(files["train"]) < 100_000, "the sparse training file is small")
    refused("a file declaring 2e6 trajectories it does not hold", "sparse", files, "the rest were never written")

    # Size budgets cover data: inputs, and the dry run's estimate shows them.
    files = write_splits("budget")
    refused("data above data.max_data_gb", "budget", files, "data.max_data_gb: the data sets declare", "--set",
            "data.max_data_gb=1e-6")
    config, _ = write_config("budget", files)
    code, out = slift_run(config, "--dry-run")
    check(code == 0 and "data sets: 0.000147 GB (budget data.max_data_gb)" in out, "the dry run counts the data files", out)


if __name__ == "__main__":
    sys.exit(main())
