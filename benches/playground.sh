#!/bin/bash
# Time of POST /api/run (validate + simulate + summary + diagram + charts) for stage 3.
# Usage: benches/playground.sh (after cargo build --release). Prints the median of five
# requests per case; the page adds its 300 ms debounce and the rendering on top.
out=$(mktemp)
cd "$(dirname "$0")/.."
./target/release/stagesim serve scenarios/recipeshare/03-load-balancer.toml --port 0 > "$out" 2>&1 &
PID=$!
sleep 1
URL=$(head -1 "$out" | grep -o 'http[^ ]*'); PORT=$(echo $URL | sed 's/.*:\([0-9]*\)\/.*/\1/'); TOK=${URL##*token=}
for dur in 2m ""; do for n in 1 3 6; do
  T=$(python3 -c "import json;print(json.dumps({'text':open('scenarios/recipeshare/03-load-balancer.toml').read(),'duration':'$dur' or None,'sets':['components.app.instances=$n']}))")
  for i in 1 2 3 4 5; do curl -s -o /dev/null -w "%{time_total}\n" -H "X-Stagesim-Token: $TOK" -d "$T" http://127.0.0.1:$PORT/api/run; done | sort -n | sed -n 3p | xargs echo "duration=${dur:-10m} instances=$n median_s="
done; done
kill $PID; wait $PID 2>/dev/null
