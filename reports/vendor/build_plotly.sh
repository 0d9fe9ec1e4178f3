#!/bin/sh
# Rebuild plotly-partial.min.js: plotly.js's own sources, bundled with its own esbuild
# settings, keeping only the trace types the pages draw. Needs node and npm. Run it
# after the plotly Python package is upgraded: the bundle's version must equal the
# plotly.js that package ships (a test checks it).
#
#     sh reports/vendor/build_plotly.sh 4.1.1 scatter,bar,heatmap,treemap
set -eu
version=$1
traces=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "plotly.js@$version" >/dev/null
tar xzf "plotly.js-$version.tgz"
cd package
npm install --silent --omit=dev --ignore-scripts --no-audit --no-fund
npm install --silent --no-save --ignore-scripts --no-audit --no-fund \
    esbuild esbuild-plugin-inline-css esbuild-plugin-environment
{
    echo "'use strict';"
    echo "var Plotly = require('./core');"
    echo "Plotly.register(["
    for trace in $(echo "$traces" | tr ',' ' '); do
        [ "$trace" = scatter ] || echo "    require('./$trace'),"  # core registers scatter
    done
    echo "]);"
    echo "module.exports = Plotly;"
} > lib/index-partial.js
cat > build-partial.js <<'JS'
const esbuild = require('esbuild');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');
const { environmentPlugin } = require('esbuild-plugin-environment');
esbuild.build({
    entryPoints: ['./lib/index-partial.js'], outfile: './partial.min.js',
    format: 'iife', globalName: 'Plotly', bundle: true, minify: true, target: 'es2016',
    plugins: [InlineCSSPlugin(), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false' },
}).catch(() => process.exit(1));
JS
node build-partial.js
{
    echo "/**"
    echo "* plotly.js v$version"
    echo "* Partial bundle: $traces"
    echo "* Copyright 2012-2026, Plotly, Inc."
    echo "* Licensed under the MIT license"
    echo "*/"
    cat partial.min.js
} > "$here/plotly-partial.min.js"
echo "wrote $here/plotly-partial.min.js ($(wc -c < "$here/plotly-partial.min.js") bytes)"
