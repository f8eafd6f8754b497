#!/usr/bin/python3
"""The seed's novel_initialization on deep AlexNets, in float32 and float64, layer by layer.

For each seed s of --seeds this builds the seed's AlexNet(10, num_layers=--layers) after
torch.manual_seed(s) with its weights_init (Xavier), draws 256 images at random from the
training images of --data (all of them, as the seed draws from its whole training set) and 8
more to predict, and runs the seed's own novel_initialization twice: as the seed runs it
(float32), and the same code on model.double() with the images in float64 (the rule computed
in float64). The norm each layer's kernel is divided by is read by wrapping torch.norm while
the seed's function runs; nothing of its logic is copied. It writes OUT/s<seed>/:

    xavier.onnx              the Xavier weights (eval export, opset 13, state_dict names), for
                             orthoinit's `init --weights`
    init256.npy, images8.npy the images, NCHW float32 in [0, 1]
    f32/<conv>.weight.npy    every rewritten kernel after the float32 init, OIHW float32
    f64/<conv>.weight.npy    the same after the float64 init, float64
    f32/logits8.npy, f32/features8.npy, f64/...   the 8 images after each init (eval mode)
    seed.json                the rewritten layers in order, the norms each divided by, the
                             gram ratios before and after, the seconds each init took

A seed whose seed.json exists is skipped, so a killed run continues where it stopped.

usage: seed_init75.py --out DIR [--seeds 0,1,2] [--layers 75] [--threads 1] [--data DIR]
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

INIT_IMAGES = 256
PREDICT_IMAGES = 8


def recorded_init(novel_initialization, net, images):
    """Runs the seed's function, returning (before, after, norms) with the per-layer norms."""
    calls = []
    norm = torch.norm

    def recording(*args, **kwargs):
        value = norm(*args, **kwargs)
        calls.append(float(value))
        return value

    torch.norm = recording
    try:
        with torch.no_grad():
            before, after = novel_initialization(net, images)
    finally:
        torch.norm = norm
    # the first and last calls are the gram matrices' norms; between them one per layer
    return before, after, calls[1:-1]


def save_state(folder, net, rewritten, images8):
    os.makedirs(folder, exist_ok=True)
    modules = dict(net.named_modules())
    for name in rewritten:
        np.save(os.path.join(folder, name + '.weight.npy'),
                modules[name].weight.detach().numpy())
    net.eval()
    with torch.no_grad():
        np.save(os.path.join(folder, 'logits8.npy'), net(images8).numpy())
        np.save(os.path.join(folder, 'features8.npy'), net.forward_noclassi(images8).numpy())
    net.train()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.path.join(os.path.dirname(os.path.normpath(os.path.join(here, '..', '..', '..'))),
                          'shared')
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True)
    p.add_argument('--seeds', default='0,1,2')
    p.add_argument('--layers', type=int, default=75)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--data', default=os.path.join(shared, 'data', 'cifar10'))
    p.add_argument('--reference', default=os.path.join(shared, 'reference'))
    args = p.parse_args()
    sys.path.insert(0, args.reference)
    try:
        from seedmodel import AlexNet, weights_init
        from seedinit import novel_initialization
        from cifar import load
    except ImportError as e:
        sys.exit('seed_init75.py: cannot import the seed code from %s: %s' % (args.reference, e))
    torch.set_num_threads(args.threads)
    pool = load(args.data).tensors[0]
    for seed in [int(s) for s in args.seeds.split(',')]:
        folder = os.path.join(args.out, 's%d' % seed)
        if os.path.exists(os.path.join(folder, 'seed.json')):
            print('seed %d: in %s already' % (seed, folder), flush=True)
            continue
        os.makedirs(folder, exist_ok=True)
        torch.manual_seed(seed)
        net = AlexNet(10, num_layers=args.layers).apply(weights_init)
        pick = torch.randperm(len(pool))[:INIT_IMAGES + PREDICT_IMAGES]
        images = pool[pick[:INIT_IMAGES]].contiguous()
        images8 = pool[pick[INIT_IMAGES:]].contiguous()
        np.save(os.path.join(folder, 'init256.npy'), images.numpy())
        np.save(os.path.join(folder, 'images8.npy'), images8.numpy())
        net.eval()
        torch.onnx.export(net, images8[:2], os.path.join(folder, 'xavier.onnx'),
                          input_names=['images'], output_names=['logits'], opset_version=13,
                          dynamic_axes={'images': {0: 'N'}, 'logits': {0: 'N'}})
        net.train()
        rewritten = [name for name, m in net.features.named_children()
                     if isinstance(m, torch.nn.Conv2d) and m.in_channels == m.out_channels]
        rewritten = ['features.' + n for n in rewritten]
        net64 = AlexNet(10, num_layers=args.layers).double()
        net64.load_state_dict({k: v.double() for k, v in net.state_dict().items()})
        record = {'seed': seed, 'layers': args.layers, 'rewritten': rewritten}
        for label, model, x in (('f32', net, images), ('f64', net64, images.double())):
            t0 = time.time()
            before, after, norms = recorded_init(novel_initialization, model, x)
            seconds = time.time() - t0
            save_state(os.path.join(folder, label), model, rewritten,
                       images8 if label == 'f32' else images8.double())
            record[label] = {'gram_before': before, 'gram_after': after, 'norms': norms,
                             'seconds': seconds}
            print('seed %d %s: gram ratio %.4f -> %.4f, %d norms (%.0f s)'
                  % (seed, label, before, after, len(norms), seconds), flush=True)
        with open(os.path.join(folder, 'seed.json.tmp'), 'w') as f:
            json.dump(record, f, indent=2)
        os.replace(os.path.join(folder, 'seed.json.tmp'), os.path.join(folder, 'seed.json'))


if __name__ == '__main__':
    main()
