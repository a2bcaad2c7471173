#!/usr/bin/env bash
# Runs ablations one after another: tools/style_ablations/run.sh NAME [NAME ...]
# Each writes runs/ablations/NAME (checkpoints, history, export) and NAME.log.
cd "$(dirname "$0")/../.."
for name in "$@"; do
    out=runs/ablations/$name
    mkdir -p "$out"
    nice -n 5 .venv/bin/kerastransfer-train-style --flagfile=tools/style_ablations/$name.flags \
        --output_dir="$out" --export_dir="$out/export" > "$out.log" 2>&1
    echo "$name exit $?" >> runs/ablations/done.txt
done
