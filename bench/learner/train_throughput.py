#!/usr/bin/python3
"""The learner's training step in Debian's python3-torch, for the throughput comparison.

Same network (depth x width MLP with SiLU on 2 state + LABEL_DIM label inputs, 2 outputs), AdamW
(weight decay 1e-4), batch drawn with replacement from 12,600 transitions, learning rate set by
hand each step (cosine), MSE, same thread count (OMP_NUM_THREADS).
    /usr/bin/python3 train_throughput.py WIDTH DEPTH LABEL_DIM BATCH STEPS
"""
import math
import os
import sys
import time

import torch


def main():
    width, depth, label_dim, batch, steps = (int(a) for a in sys.argv[1:6])
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    torch.manual_seed(1)
    n, dim = 200 * 63, 2
    inputs = torch.randn(n, dim + label_dim)
    targets = torch.randn(n, dim)
    layers, size = [], dim + label_dim
    for _ in range(depth):
        layers += [torch.nn.Linear(size, width), torch.nn.SiLU()]
        size = width
    net = torch.nn.Sequential(*layers, torch.nn.Linear(size, dim))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    start = time.perf_counter()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = 0.5e-3 * (1 + math.cos(math.pi * step / steps))
        idx = torch.randint(0, n, (batch,))
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(inputs[idx]), targets[idx])
        loss.backward()
        opt.step()
        loss.item()  # the C++ loop reads the loss every step too (logs, NaN guard)
    seconds = time.perf_counter() - start
    params = sum(p.numel() for p in net.parameters())
    print(f"python    {steps * batch / seconds:.0f} transitions/s  ({steps} steps in {seconds:.2f} s, {params} parameters)")


if __name__ == "__main__":
    main()
