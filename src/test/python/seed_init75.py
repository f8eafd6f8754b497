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
    f32/start.pt             the whole model after the float32 init (state_dict), the start
                             seed_curves.py --starts trains from
    f32/start.onnx           the same (eval export, opset 13), the start `orthoinit train
                             --weights` trains from
    <precision>/init.json    that init's norms, gram ratios and seconds
    seed.json                the rewritten layers in order and, per precision, what init.json
                             holds; written when every precision asked for is done

A precision whose init.json exists is skipped, so a killed run continues where it stopped.
--precisions f32 makes only the seed's own float32 init (the training starts).

usage: seed_init75.py --out DIR [--seeds 0,1,2] [--precisions f32,f64] [--layers 75]
                      [--threads 1] [--data DIR]
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


def export(net, images, path):
    """The model's eval form to ONNX (opset 13, state_dict names, batch dimension free)."""
    net.eval()
    torch.onnx.export(net, images, path + '.tmp', input_names=['images'],
                      output_names=['logits'], opset_version=13,
                      dynamic_axes={'images': {0: 'N'}, 'logits': {0: 'N'}})
    os.replace(path + '.tmp', path)
    net.train()


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
    p.add_argument('--precisions', default='f32,f64')
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
    precisions = args.precisions.split(',')
    if not precisions or any(x not in ('f32', 'f64') for x in precisions):
        sys.exit('seed_init75.py: --precisions takes f32, f64 or both, not ' + args.precisions)
    for seed in [int(s) for s in args.seeds.split(',')]:
        folder = os.path.join(args.out, 's%d' % seed)
        for label in ('f32', 'f64'):  # a seed.json of an earlier version: its inits are done
            migrate(folder, label)
        if all(os.path.exists(os.path.join(folder, x, 'init.json')) for x in precisions):
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
        if not os.path.exists(os.path.join(folder, 'xavier.onnx')):
            export(net, images8[:2], os.path.join(folder, 'xavier.onnx'))
        rewritten = [name for name, m in net.features.named_children()
                     if isinstance(m, torch.nn.Conv2d) and m.in_channels == m.out_channels]
        rewritten = ['features.' + n for n in rewritten]
        xavier = {k: v.clone() for k, v in net.state_dict().items()}
        record = {'seed': seed, 'layers': args.layers, 'rewritten': rewritten}
        for label in ('f32', 'f64'):
            done = os.path.join(folder, label, 'init.json')
            if os.path.exists(done):
                with open(done) as f:
                    record[label] = json.load(f)
                continue
            if label not in precisions:
                continue
            if label == 'f32':
                model, x, x8 = net, images, images8
            else:
                model = AlexNet(10, num_layers=args.layers).double()
                model.load_state_dict({k: v.double() for k, v in xavier.items()})
                x, x8 = images.double(), images8.double()
            t0 = time.time()
            before, after, norms = recorded_init(novel_initialization, model, x)
            seconds = time.time() - t0
            save_state(os.path.join(folder, label), model, rewritten, x8)
            if label == 'f32':
                torch.save(model.state_dict(), os.path.join(folder, label, 'start.pt.tmp'))
                os.replace(os.path.join(folder, label, 'start.pt.tmp'),
                           os.path.join(folder, label, 'start.pt'))
                export(model, x8[:2], os.path.join(folder, label, 'start.onnx'))
            record[label] = {'gram_before': before, 'gram_after': after, 'norms': norms,
                             'seconds': seconds}
            write_json(done, record[label])
            print('seed %d %s: gram ratio %.4f -> %.4f, %d norms (%.0f s)'
                  % (seed, label, before, after, len(norms), seconds), flush=True)
        if 'f32' in record and 'f64' in record:
            write_json(os.path.join(folder, 'seed.json'), record)


def migrate(folder, label):
    """Writes <label>/init.json from a seed.json written before there were start files."""
    done = os.path.join(folder, label, 'init.json')
    meta = os.path.join(folder, 'seed.json')
    if os.path.exists(done) or not os.path.exists(meta):
        return
    if label == 'f32' and not os.path.exists(os.path.join(folder, 'f32', 'start.onnx')):
        return
    with open(meta) as f:
        record = json.load(f)
    if label in record:
        write_json(done, record[label])


def write_json(path, value):
    with open(path + '.tmp', 'w') as f:
        json.dump(value, f, indent=2)
    os.replace(path + '.tmp', path)

if __name__ == '__main__':
    main()
