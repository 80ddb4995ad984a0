"""Models out: what `slift export` writes loads with torch.jit.load and reproduces `slift sample`.

    export_test.py SLIFT_BIN SOURCE_DIR WORK_DIR

Runs small Duffing (MLP), wave (UNet, periodic, label channels, window 3, extrapolation) and flow
(UNet, walls) pipelines up to `slift sample`, exports SL and the label-free model of each and, in
this Python's torch, rolls every export out from the test set's initial states with the seed of
slift's sample file, on the GPU where slift sampled on one (TF32 off, as slift has it), in one
batch on the default threads: the rollouts must match slift's samples to float32 rounding of the
network grown over the rollout, max |difference| <= 1e-4 x max |state| (the largest difference is
printed). Where slift sampled on the CPU, rolled out as it did (its batches, its threads: the
sample set's .json), they must be the same bits. forward(window, z) with z = labels(seed, 0, b, 0)
must give frame 1. An ARDM, a missing file and a file that is not
a model are refused: exit 2, one line, nothing written. Needs torch and h5py.
"""

import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import torch

SLIFT, SOURCE, WORK = sys.argv[1:4]
TOLERANCE = 1e-4  # relative to the largest |state|: float32 rounding of the network, grown over the rollout
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"  # slift's sample.device auto picks the same
torch.backends.cudnn.allow_tf32 = False  # slift samples in float32 without TF32 (deterministic kernels)
FAILURES = []


def check(ok, what, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else "\n" + detail[-3000:]))
    if not ok:
        FAILURES.append(what)


def slift(*args):
    r = subprocess.run([SLIFT, *args], capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def sample_run(name, overrides):
    run_dir = os.path.join(WORK, name)
    sets = sum((["--set", s] for s in [f"output_dir={run_dir}"] + overrides), [])
    code, out = slift("sample", f"{SOURCE}/configs/{name}.yaml", "--threads", "1", "-q", *sets)
    check(code == 0, f"slift sample configs/{name}.yaml (small)", out)
    return run_dir


def learned(f):
    """The sample file's one array: states, or the learned field."""
    return "states" if "states" in f else "t0_fields/" + list(f["t0_fields"].keys())[0]


def check_reproduces(run_dir, model):
    exported = os.path.join(WORK, f"{os.path.basename(run_dir)}_{model}.ts")
    code, out = slift("export", os.path.join(run_dir, "models", f"{model}.pt"), exported)
    check(code == 0 and os.path.isfile(exported), f"slift export {model}", out)
    m = torch.jit.load(exported, map_location=DEVICE)
    with h5py.File(os.path.join(run_dir, "samples", f"{model}.h5"), "r") as f:
        array = learned(f)
        samples = torch.from_numpy(f[array][...])
        seed = int(f.attrs["seed"])
    with h5py.File(os.path.join(run_dir, "data", "test.h5"), "r") as f:
        test = torch.from_numpy(f[array][...])
    n, steps = samples.shape[0], samples.shape[1] - 1
    x0 = test[torch.arange(n) % test.shape[0], 0].to(DEVICE)  # trajectory i starts from test trajectory i mod n_test
    with torch.no_grad():
        rolled = m.rollout(x0, steps, seed).cpu()
        window = x0.unsqueeze(1).expand(n, m.window, *x0.shape[1:])
        one = m(window, m.labels(seed, 0, n, 0).to(DEVICE)).cpu()
    scale = samples.abs().max().item()
    diff = (rolled - samples).abs().max().item()
    check(rolled.shape == samples.shape and diff <= TOLERANCE * scale,
          f"{exported}: rollout of {n} x {steps} steps reproduces slift's samples: "
          f"max |difference| {diff:.3g}, {diff / scale:.3g} of max |state| {scale:.3g}")
    check(torch.equal(one, rolled[:, 1]), f"{exported}: forward(window, labels(seed, 0, n, 0)) is frame 1")
    how = json.load(open(os.path.join(run_dir, "samples", f"{model}.json")))
    if how["device"] == "cpu":  # slift's batches on slift's threads: the same kernels on the same blocks
        threads, batch = torch.get_num_threads(), how["batch_size"]
        torch.set_num_threads(how["threads"])
        with torch.no_grad():
            same = torch.cat([m.cpu().rollout(x0[i:i + batch].cpu(), steps, seed, i) for i in range(0, n, batch)])
        torch.set_num_threads(threads)
        check(torch.equal(same, samples), f"{exported}: rolled out in slift's batches of {batch} on its "
              f"{how['threads']} thread(s): the same bits (max |difference| {(same - samples).abs().max().item():.3g})")
    rows = (m.rollout(x0[2:], steps, seed, 2).cpu() - rolled[2:]).abs().max().item()
    check(rows <= TOLERANCE * scale, f"{exported}: rollout(x0[2:], steps, seed, first=2) gives the same rows ({rows:.3g})")
    return diff / scale


def check_refusals(run_dir):
    models = os.path.join(run_dir, "models")
    before = sorted(os.listdir(models))
    for what, path in (("an ARDM", os.path.join(models, "ardm.pt")), ("a missing file", os.path.join(WORK, "none.pt")),
                       ("a data set", os.path.join(run_dir, "data", "test.h5"))):
        out_path = os.path.join(WORK, "refused.ts")
        code, out = slift("export", path, out_path)
        check(code == 2 and len(out.splitlines()) == 1 and path in out and not os.path.exists(out_path),
              f"export of {what}: exit 2, one line naming the file, nothing written ({out})")
    code, out = slift("export", os.path.join(models, "sl.pt"), models)
    check(code == 2 and len(out.splitlines()) == 1 and sorted(os.listdir(models)) == before
          and not os.path.exists(models + ".tmp"),
          f"export to a directory: exit 2, one line, nothing written ({out})")


def main():
    shutil.rmtree(WORK, ignore_errors=True)  # a fresh start on every run
    os.makedirs(WORK)
    print(f"torch {torch.__version__} on {DEVICE}")
    small_train = ["train.iterations=20", "train.warmup=5", "train.checkpoint_every=20", "train.log_every=20",
                   "train.batch_size=16"]
    small_fields = ["simulate.n_train=4", "simulate.n_test=5", "simulate.n_floor=3", "simulate.n_frames=6",
                    "simulate.block=4", "train.unet_widths=[8, 16]", "train.embed_dim=16", "sample.n_trajectories=7",
                    "sample.batch_size=4"]
    runs = {
        "duffing": sample_run("duffing", small_train + [
            "simulate.n_train=16", "simulate.n_test=24", "simulate.n_time=16", "train.width=32", "train.label_dim=8",
            "sample.batch_size=10"]),
        "wave": sample_run("wave", small_train + small_fields + [
            "simulate.n_solve=32", "simulate.n_out=16", "simulate.t_end=2.5", "sample.ardm_steps=[1]"]),
        "flow": sample_run("flow", small_train + small_fields + [
            "simulate.nx=16", "simulate.ny=16", "simulate.t_end=0.25", "train.models=[sl, deterministic]"]),
    }
    worst = max(check_reproduces(run, model) for run in runs.values() for model in ("sl", "deterministic"))
    print(f"largest rollout difference: {worst:.3g} of max |state| (tolerance {TOLERANCE})")
    check_refusals(runs["wave"])
    print(f"{len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
