#!/usr/bin/python3
"""Loads an ONNX file written by orthoinit into the torchvision module it came from, by name.

The module is built as torchvision_fixtures.py builds it (num_classes 10); every entry of its
state_dict (parameters and batch-norm running statistics; num_batches_tracked, which exports do
not keep, excepted) is taken from the initializer of the same name and shape in the file. Then
the module predicts IMAGES in eval mode and its logits are compared with LOGITS (orthoinit's
prediction of the same images): max |ours - PyTorch's| / max |PyTorch's| must be within
--tolerance. Prints one line; exits 1 on any missing or mis-shaped tensor or on a mismatch.

Needs Debian's python3-torch, python3-torchvision and python3-onnx.

Usage: load_by_name.py --onnx FILE --model resnet18 --images X.npy --logits Y.npy
"""

import argparse
import collections
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torchvision_fixtures  # noqa: E402


def all_models():
    everything = dict(torchvision_fixtures.models())
    everything.update(torchvision_fixtures.eval_models())
    return everything


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--model", required=True, choices=sorted(all_models()))
    parser.add_argument("--images", required=True)
    parser.add_argument("--logits", required=True)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    graph = onnx.load(args.onnx).graph
    tensors = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    module = all_models()[args.model]()
    own = module.state_dict()
    state = collections.OrderedDict()
    # the modules' versions, as a saved state_dict carries them (mnasnet reads its own)
    state._metadata = getattr(own, "_metadata", None)
    for name, value in own.items():
        if name.endswith("num_batches_tracked"):
            state[name] = value
            continue
        if name not in tensors:
            print(f"{args.onnx}: no initializer named '{name}'", file=sys.stderr)
            return 1
        if tuple(tensors[name].shape) != tuple(value.shape):
            print(f"{args.onnx}: '{name}' has shape {tensors[name].shape}, the module's is "
                  f"{tuple(value.shape)}", file=sys.stderr)
            return 1
        state[name] = torch.from_numpy(np.array(tensors[name]))
    module.load_state_dict(state, strict=True)
    module.eval()
    images = torch.from_numpy(np.load(args.images))
    with torch.no_grad():
        theirs = module(images).numpy()
    ours = np.load(args.logits)
    error = float(np.abs(ours - theirs).max() / np.abs(theirs).max())
    verdict = "within" if error <= args.tolerance else "NOT within"
    print(f"{args.model}: {len(state)} tensors loaded by name from {os.path.basename(args.onnx)};"
          f" logits relative error {error:.2e}, {verdict} {args.tolerance:g}")
    return 0 if error <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
