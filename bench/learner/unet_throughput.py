#!/usr/bin/python3
"""The learner's UNet training step (Stochastic Lifting, FiLM labels) in Debian's python3-torch.

The same network as learner/unet.cpp (stem conv; per level residual blocks GroupNorm(8)-SiLU-conv-
GroupNorm(8)-FiLM-SiLU-conv with a 1x1 skip when widths differ, stride-2 conv down; nearest x2 +
conv up, concatenation, residual blocks; GroupNorm-SiLU-conv head; label through Linear-SiLU-Linear,
then SiLU), circular padding, the same step as learner/train.cpp: minibatch gathered from the
frames by index with replacement, MSE on the increment, AdamW (weight decay 1e-4), global
gradient-norm clip 1.0, learning rate set by hand, loss read every step. Threads: OMP_NUM_THREADS.
    /usr/bin/python3 unet_throughput.py N_TRAJ N_FRAMES GRID WIDTHS(16,32,64) EMBED LABEL_DIM WINDOW BATCH STEPS
"""
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin, cout, k, stride=1):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, padding_mode="circular")


class ResBlock(nn.Module):
    def __init__(self, cin, cout, embed):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(8, cin), conv(cin, cout, 3)
        self.norm2, self.conv2 = nn.GroupNorm(8, cout), conv(cout, cout, 3)
        self.skip = conv(cin, cout, 1) if cin != cout else None
        self.modulation = nn.Linear(embed, 2 * cout)

    def forward(self, x, emb):
        h = self.norm2(self.conv1(F.silu(self.norm1(x))))
        scale, shift = self.modulation(emb)[:, :, None, None].chunk(2, 1)
        h = self.conv2(F.silu(h * (1 + scale) + shift))
        return (self.skip(x) if self.skip is not None else x) + h


class UNet(nn.Module):
    def __init__(self, cin, widths, embed, cond):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(cond, embed), nn.SiLU(), nn.Linear(embed, embed))
        self.stem = conv(cin, widths[0], 3)
        ch, self.down_blocks, self.downs = widths[0], nn.ModuleList(), nn.ModuleList()
        for level, w in enumerate(widths):
            self.down_blocks.append(ResBlock(ch, w, embed))
            ch = w
            if level + 1 < len(widths):
                self.downs.append(conv(ch, ch, 3, 2))
        self.ups, self.up_blocks = nn.ModuleList(), nn.ModuleList()
        for level in reversed(range(len(widths) - 1)):
            self.ups.append(conv(ch, widths[level], 3))
            self.up_blocks.append(ResBlock(2 * widths[level], widths[level], embed))
            ch = widths[level]
        self.head_norm, self.head = nn.GroupNorm(8, ch), conv(ch, 1, 3)

    def forward(self, x, cond):
        emb = F.silu(self.embed(cond))
        h, skips = self.stem(x), []
        for level, block in enumerate(self.down_blocks):
            h = block(h, emb)
            if level < len(self.downs):
                skips.append(h)
                h = self.downs[level](h)
        for up, block in zip(self.ups, self.up_blocks):
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = block(torch.cat([up(h), skips.pop()], 1), emb)
        return self.head(F.silu(self.head_norm(h)))


def main():
    n_traj, n_frames, grid = (int(a) for a in sys.argv[1:4])
    widths = [int(w) for w in sys.argv[4].split(",")]
    embed, label_dim, window, batch, steps = (int(a) for a in sys.argv[5:10])
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    torch.manual_seed(1)
    frames = torch.randn(n_traj * n_frames, grid * grid)
    n = n_traj * (n_frames - 1)
    # rows of each transition's window (frame 0 repeated before the start) and of its target
    t, base = torch.arange(n_frames - 1), (torch.arange(n_traj) * n_frames)[:, None]
    inputs = torch.stack([base + (t - (window - 1 - k)).clamp(min=0) for k in range(window)], -1).reshape(n, window)
    targets = (base + t + 1).reshape(n)
    labels = torch.randn(n, label_dim)
    net = UNet(window, widths, embed, label_dim)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    start = time.perf_counter()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = 1e-3 * (1 + math.cos(math.pi * step / steps))
        idx = torch.randint(0, n, (batch,))
        r = inputs[idx]
        x = frames[r.flatten()].view(batch, window, grid, grid)
        current = frames[r[:, -1]]
        y = (frames[targets[idx]] - current).view(batch, 1, grid, grid)
        opt.zero_grad()
        loss = F.mse_loss(net(x, labels[idx]), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        loss.item()
        opt.step()
    seconds = time.perf_counter() - start
    params = sum(p.numel() for p in net.parameters())
    print(f"python    {steps * batch / seconds:.1f} transitions/s  ({steps} steps in {seconds:.2f} s, {params} parameters)")


if __name__ == "__main__":
    main()
