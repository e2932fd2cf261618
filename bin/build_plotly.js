#!/usr/bin/env node
/* Builds the plotly.js bundle the pages load: plotly.js's core (which holds the scatter
 * trace, axes, legends, colour bars, shapes, hover) plus only the trace types the product
 * draws, minified by esbuild, into static/vendor/plotly-custom-<version>/ with plotly.js's
 * licence. The output is committed: running Pilotgate needs no npm.
 *
 *     make vendor-plotly            # npm ci, this script, then bin/plotly_css.py
 *     node bin/build_plotly.js DIR  # build into DIR instead (tests compare it with ours)
 *
 * The trace types must cover every `_trace("<type>", ...)` in portfolio/dashboard/charts.py
 * (tests/test_plotly_css.py and tests/browser/test_plotly_bundle.py check). plotly.js's
 * version is the one package.json pins, which must match the Python plotly package.
 */
"use strict";

const fs = require("fs");
const path = require("path");
const esbuild = require("esbuild");

const ROOT = path.resolve(__dirname, "..");
// Trace modules besides scatter, which plotly.js's core always registers.
const TRACES = ["bar", "heatmap"];
const version = require("plotly.js/package.json").version;
const folder =
  process.argv[2] || path.join(ROOT, "static", "vendor", `plotly-custom-${version}`);
const outfile = path.join(folder, "plotly-custom.min.js");

// plotly.js's registry imports MapLibre's stylesheet for map subplots (plotly.js's own build
// inlines it as a <style>, which our CSP forbids). No map trace is registered here, so that
// import never runs: it resolves to an empty module. Any other stylesheet fails the build.
const noStylesheets = {
  name: "no-stylesheets",
  setup(build) {
    build.onResolve({ filter: /\.css$/ }, (args) => {
      if (args.path === "maplibre-gl/dist/maplibre-gl.css") {
        return { path: args.path, namespace: "unused-stylesheet" };
      }
      return { errors: [{ text: `unexpected stylesheet ${args.path} from ${args.importer}` }] };
    });
    build.onLoad({ filter: /.*/, namespace: "unused-stylesheet" }, () => ({
      contents: "",
      loader: "js",
    }));
  },
};

const entry = [
  'var Plotly = require("plotly.js/lib/core");',
  `Plotly.register([${TRACES.map((t) => `require("plotly.js/lib/${t}")`).join(", ")}]);`,
  "module.exports = Plotly;",
].join("\n");

// The first line is V8's explicit compile hint (Chrome 136 and later): compile every function
// eagerly, on a background thread while the file streams in, rather than each one on the
// main thread when first called. Nearly all of plotly.js runs when the first chart is drawn;
// this took the bundle's evaluation from about 95 ms to 30 ms of main-thread time in a cold
// dashboard load (bin/measure_frontend.py).
const banner = [
  "//# allFunctionsCalledOnLoad",
  "/**",
  `* plotly.js (custom - minified) v${version}`,
  `* Traces: scatter, ${TRACES.join(", ")}. Built by bin/build_plotly.js; do not edit.`,
  "* Copyright 2012-2026, Plotly, Inc.",
  "* All rights reserved.",
  "* Licensed under the MIT license",
  "*/",
].join("\n");

async function main() {
  fs.mkdirSync(folder, { recursive: true });
  await esbuild.build({
    stdin: { contents: entry, resolveDir: ROOT, sourcefile: "plotly-custom.js" },
    bundle: true,
    minify: true,
    format: "iife",
    globalName: "Plotly",
    // As plotly.js's own build (esbuild-config.js).
    target: "es2016",
    define: { global: "window", "define.amd": "false" },
    plugins: [noStylesheets],
    banner: { js: banner },
    legalComments: "eof",
    outfile,
    logLevel: "warning",
  });
  fs.copyFileSync(require.resolve("plotly.js/LICENSE"), path.join(folder, "LICENSE"));
  console.log(`wrote ${path.relative(ROOT, outfile)} (${fs.statSync(outfile).size} bytes)`);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
