#!/usr/bin/env bash
# Builds a multilingual benchmark corpus from the translated manual pages that Debian ships:
# English, German, French, Spanish, Russian, Japanese, Chinese and Korean, about 1.5 MB each,
# one paragraph per line. Needs: apt-get install man-db manpages manpages-de manpages-fr
# manpages-es manpages-ru manpages-ja manpages-zh (Korean comes with manpages-ja's siblings or
# is skipped when absent).
# Usage: bench/corpus/multilingual.sh OUT.txt
set -euo pipefail
out="${1:?usage: multilingual.sh OUT.txt}"
tmp=$(mktemp)
for lang in "" de fr es ru ja zh_CN ko; do
  dir=/usr/share/man/${lang:+$lang/}man1
  [ -d "$dir" ] || continue
  size=0
  for page in $(ls "$dir" | sort); do
    text=$(MANWIDTH=100000 LANG=C.UTF-8 man -l "$dir/$page" 2>/dev/null | col -b | \
      awk 'BEGIN{RS=""} {gsub(/[ \t]*\n[ \t]*/, " "); gsub(/^ +| +$/, ""); if (length($0) > 0) print}')
    printf '%s\n' "$text" >> "$tmp"
    size=$((size + ${#text}))
    [ "$size" -gt 700000 ] && break
  done
done
grep -v '^$' "$tmp" > "$out"
rm -f "$tmp"
echo "wrote $(wc -l < "$out") paragraphs, $(du -h "$out" | cut -f1) to $out"
