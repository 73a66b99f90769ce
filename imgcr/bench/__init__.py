"""Benchmarks: sweeps over images x codecs x settings (:mod:`~imgcr.bench.sweep`), rate-distortion curves and
BD tables (:mod:`~imgcr.bench.rd`, :mod:`~imgcr.bench.bdrate`), plotly figures (:mod:`~imgcr.bench.plots`)
and the files a sweep leaves behind (:mod:`~imgcr.bench.artefacts`)."""
