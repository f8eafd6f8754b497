#!/usr/bin/python3
"""Why the SVD init is undefined on a torchvision model without batch norm statistics.

Applies the paper's rule (torchvision_fixtures.svd_init, in float64) to a model of
torchvision_fixtures in EVAL mode, which is what its eval-mode export computes (the batch norms
folded into the convolutions as fixed scales and shifts), and prints, at each rewritten
convolution, how many of its input channels are zero on the whole batch and the kept singular
values of its patch matrix. A last kept singular value near zero (relative to the first) means
the rule's S^-1/2 is not defined there. --save-batch writes the images as an NCHW float32 .npy
for orthoinit's `init --batch`, so the same failure can be seen there.

    /usr/bin/python3 src/test/python/dead_units.py --model resnet18 --batch 1024 --save-batch b.npy
"""
import argparse

import numpy as np
import torch

import torchvision_fixtures as fixtures


def report(name, x, s, wd):
    if s.numel() < wd:
        raise SystemExit(f"{name}: its patch matrix has {s.numel()} rows for {wd} outputs; "
                         "use a larger --batch")
    dead = int(((x != 0).sum(dim=(0, 2, 3)) == 0).sum())
    print(f"{name}: {dead}/{x.shape[1]}, {s[0]:.3g}, {s[wd - 1]:.3g}, {s[wd - 1] / s[0]:.2e}",
          flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18", choices=sorted(fixtures.models()))
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=5, help="seed of the uniform images")
    parser.add_argument("--save-batch", metavar="B.npy", help="also write the images here")
    args = parser.parse_args()
    # the eval-mode export's weights and statistics: main()'s seeds for this model
    index = list(fixtures.models()).index(args.model)
    torch.manual_seed(index)
    generator = torch.Generator().manual_seed(100 + index)
    model = fixtures.models()[args.model]()
    with torch.no_grad():
        fixtures.randomize_running_statistics(model, generator)
    images = torch.rand(args.batch, 3, 32, 32, generator=torch.Generator().manual_seed(args.seed))
    if args.save_batch:
        np.save(args.save_batch, images.numpy())
        print(f"wrote {args.save_batch}: {tuple(images.shape)} float32", flush=True)
    print("layer, input channels zero on the whole batch, s_1, s_wd, s_wd / s_1")
    fixtures.svd_init(model, images, train=False, report=report)


if __name__ == "__main__":
    main()
