"""Learned codecs: autoencoders whose quantised latents are entropy-coded into real files.

- :mod:`imgcr.learned.layers`: GDN / inverse GDN.
- :mod:`imgcr.learned.entropy`: the factorized prior (Ballé 2017/2018) and the Gaussian conditional,
  their likelihoods for training and their integer tables for coding.
- :mod:`imgcr.learned.coder`: range coding of latents against integer tables (``constriction``).
- :mod:`imgcr.learned.nets`: the networks (``ae-factorized``, ``ae-hyperprior``, ``ae-multires``).
- :mod:`imgcr.learned.container`: imgcr's file format for learned codecs.
- :mod:`imgcr.codecs.learned`: the registry's ``learned`` codecs (in the codec package, beside the others).
"""
