#!/usr/bin/env bash
# Every check, in the order CI runs them: format -> types -> lint -> unit (node, wasm, webgpu)
# -> e2e -> build. Prints a header per step, a timing table and a last line "N passed, M failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# --- System dependencies: Debian's chromium (for the browser tests) and ffmpeg (test videos). ---
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[[ -x "$chromium_path" ]] || missing+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "==> Installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
  else
    echo "Missing: ${missing[*]} (chromium is expected at $chromium_path; set CHROMIUM_PATH to use another)."
    echo "Install them first, e.g.: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

# --- The steps. ---
steps=(
  'prettier --check .'
  'tsc --noEmit -p .'
  'eslint .'
  'vitest run'
  'playwright test'
  'vite build'
)
passed=0
failed=0
report=()
for i in "${!steps[@]}"; do
  step="${steps[$i]}"
  echo
  echo "================================================================"
  echo "==> [$((i + 1))/${#steps[@]}] $step"
  echo "================================================================"
  start=$SECONDS
  # CI=1: Playwright builds and serves a fresh app instead of reusing a running server.
  # shellcheck disable=SC2086 # each step is a command line, split on purpose
  if CI=1 npx --no-install $step; then
    status=passed
    passed=$((passed + 1))
  else
    status=FAILED
    failed=$((failed + 1))
  fi
  report+=("$(printf '%-20s %-7s %4ds' "$step" "$status" $((SECONDS - start)))")
done

echo
echo "================================================================"
printf '%s\n' "${report[@]}"
echo "================================================================"
echo "$passed passed, $failed failed"
((failed == 0))
