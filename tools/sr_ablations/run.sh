#!/usr/bin/env bash
# Runs SR ablations one after another: tools/sr_ablations/run.sh NAME [NAME ...]
# Each trains runs/sr_ablations/NAME (checkpoints, history, export) from NAME.flags, then
# scores its export on Set5 (NAME/set5.json); the log is NAME.log and each run's exit
# status is appended to runs/sr_ablations/done.txt. A run imports a copy of the package
# taken at its start (NAME/src), so editing the source while it trains cannot change the
# code its export traces. Run again with the same NAME to resume.
cd "$(dirname "$0")/../.."
for name in "$@"; do
    out=runs/sr_ablations/$name
    mkdir -p "$out"
    rm -rf "$out/src" && mkdir -p "$out/src" && cp -r kerastransfer "$out/src/"
    nice -n 5 .venv/bin/python tools/run_from_copy.py "$out/src" cli.train_sr \
        --flagfile=tools/sr_ablations/$name.flags \
        --output_dir="$out" --export_dir="$out/export" > "$out.log" 2>&1 &&
    nice -n 5 .venv/bin/kerastransfer-evaluate-sr --model="$out/export" \
        --hr_dir=../shared/data/sr_benchmarks/Set5 --json="$out/set5.json" >> "$out.log" 2>&1
    echo "$name exit $?" >> runs/sr_ablations/done.txt
done
