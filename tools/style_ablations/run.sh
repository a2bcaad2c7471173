#!/usr/bin/env bash
# Runs ablations one after another: tools/style_ablations/run.sh NAME [NAME ...]
# Each writes runs/ablations/NAME (checkpoints, history, export) and NAME.log.
# A run imports a copy of the package taken at its start (NAME/src), so editing the source
# while it trains cannot change the code its export traces.
cd "$(dirname "$0")/../.."
for name in "$@"; do
    out=runs/ablations/$name
    mkdir -p "$out"
    rm -rf "$out/src" && mkdir -p "$out/src" && cp -r kerastransfer "$out/src/"
    nice -n 5 .venv/bin/python tools/run_from_copy.py "$out/src" cli.train_style --flagfile=tools/style_ablations/$name.flags \
        --output_dir="$out" --export_dir="$out/export" > "$out.log" 2>&1
    echo "$name exit $?" >> runs/ablations/done.txt
done
