#!/usr/bin/python3
"""Per-layer table of orthoinit's SVD init against the seed's, in float32 and float64.

Reads a folder made by seed_init75.py (s<seed>/f32, s<seed>/f64, seed.json) and, per seed,
orthoinit's results there: s<seed>/orthoinit-<decomposition>.onnx (`init --export-onnx`), and
beside it -logits8.npy and -features8.npy (`init --predict images8.npy --out ...
--features-out ...`). For every rewritten kernel it gives max abs error / max abs value of

    seed32  the seed's own float32 code against the same rule in float64
    ours    orthoinit's kernel against the float64 rule
    ours/seed32  orthoinit's kernel against the seed's float32 one

and the same for the 8 images' logits and features. Writes --out (CSV, one row per seed,
decomposition and layer) and prints a summary per seed and decomposition: the worst layer of
each column, and how many layers orthoinit is further from float64 than the seed's float32 is.

usage: init_table.py --fixtures DIR --out FILE.csv
"""

import argparse
import csv
import glob
import json
import os
import sys

import numpy as np


def rel(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / np.abs(b).max())


def onnx_kernels(path):
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--fixtures', required=True)
    p.add_argument('--out', required=True)
    args = p.parse_args()
    rows = []
    for folder in sorted(glob.glob(os.path.join(args.fixtures, 's*'))):
        meta_file = os.path.join(folder, 'seed.json')
        if not os.path.exists(meta_file):
            continue
        with open(meta_file) as f:
            meta = json.load(f)
        ours_files = sorted(glob.glob(os.path.join(folder, 'orthoinit-*.onnx')))
        if not ours_files:
            print('seed %d: no orthoinit-*.onnx in %s yet' % (meta['seed'], folder))
            continue
        for ours_file in ours_files:
            route = os.path.basename(ours_file)[len('orthoinit-'):-len('.onnx')]
            ours = onnx_kernels(ours_file)
            worse = 0
            worst = {'seed32': 0.0, 'ours': 0.0, 'ours_seed32': 0.0}
            for layer in meta['rewritten']:
                name = layer + '.weight'
                f32 = np.load(os.path.join(folder, 'f32', name + '.npy'))
                f64 = np.load(os.path.join(folder, 'f64', name + '.npy'))
                if name not in ours:
                    sys.exit('init_table.py: %s has no %s' % (ours_file, name))
                row = {'seed': meta['seed'], 'decomposition': route, 'layer': layer,
                       'seed32': rel(f32, f64), 'ours': rel(ours[name], f64),
                       'ours_seed32': rel(ours[name], f32)}
                rows.append(row)
                worse += row['ours'] > row['seed32']
                for k in worst:
                    worst[k] = max(worst[k], row[k])
            outputs = []
            for what in ('logits8', 'features8'):
                mine = ours_file[:-len('.onnx')] + '-' + what + '.npy'
                if os.path.exists(mine):
                    f32 = np.load(os.path.join(folder, 'f32', what + '.npy'))
                    f64 = np.load(os.path.join(folder, 'f64', what + '.npy'))
                    m = np.load(mine)
                    rows.append({'seed': meta['seed'], 'decomposition': route, 'layer': what,
                                 'seed32': rel(f32, f64), 'ours': rel(m, f64),
                                 'ours_seed32': rel(m, f32)})
                    outputs.append('%s %.1e (seed32 %.1e)' % (what, rel(m, f64), rel(f32, f64)))
            print('seed %d %s: %d kernels; worst against float64: ours %.1e, seed32 %.1e; '
                  'ours against seed32 %.1e; ours further than seed32 on %d layers; %s'
                  % (meta['seed'], route, len(meta['rewritten']), worst['ours'],
                     worst['seed32'], worst['ours_seed32'], worse, ', '.join(outputs)))
    with open(args.out, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=['seed', 'decomposition', 'layer', 'seed32', 'ours',
                                          'ours_seed32'])
        w.writeheader()
        for r in rows:
            w.writerow({k: ('%.3e' % v if isinstance(v, float) else v) for k, v in r.items()})


if __name__ == '__main__':
    main()
