"""One-line explanations of every number imgcr shows: what it is, its unit, which way is better.

The tabs show these beside their tables (an info accordion under each), the Learn tab
beside its own numbers, and the CLI's ``--help`` texts can quote them. One place, so a
classroom hears the same definition everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    name: str
    unit: str
    better: str  # "higher", "lower", "closer to 1", or "" (a fact, not a score)
    text: str

    def line(self) -> str:
        arrow = {"higher": " ↑ higher is better", "lower": " ↓ lower is better"}.get(self.better, f" ({self.better})" if self.better else "")
        unit = f" [{self.unit}]" if self.unit else ""
        return f"**{self.name}**{unit}{arrow}: {self.text}"


TERMS: dict[str, Term] = {t.name: t for t in (
    Term("Bytes", "bytes", "lower", "the length of the real encoded file, the one you download."),
    Term("bpp", "bits per pixel", "lower", "bytes × 8 ÷ (width × height): size independent of the image's dimensions; "
         "uncompressed RGB is 24 bpp."),
    Term("Ratio", "×", "higher", "uncompressed RGB size (width × height × 3 bytes) ÷ file size: 10× means a tenth of the bytes."),
    Term("PSNR dB", "decibels", "higher", "peak signal-to-noise ratio over all RGB samples, 10·log10(255² / mean squared error); "
         "+6 dB halves the error's amplitude; above ~40 dB differences are hard to see."),
    Term("SSIM", "0-1", "higher", "structural similarity (Wang et al. 2004): local means, contrasts and correlations "
         "compared in an 11-tap Gaussian window; 1 = identical."),
    Term("MS-SSIM", "0-1", "higher", "SSIM at 5 scales (halving each time), weighted: closer to how we judge viewing-distance "
         "effects; needs the short side ≥ 161 px."),
    Term("LPIPS", "distance", "lower", "learned perceptual distance (AlexNet features, v0.1): 0 = identical; tracks what people "
         "see, so it rewards plausible texture that PSNR punishes; needs the short side ≥ 31 px."),
    Term("SSIMULACRA2", "score", "higher", "the perceptual score JPEG XL's and AVIF's developers tune against (Cloudinary, "
         "version 2.1): 100 = identical; 90 visually lossless, 80 very high, 70 high, 50 medium, 30 low quality; it "
         "can go negative. Unlike PSNR and SSIM it does not reward blur. Needs 8 px a side."),
    Term("Butteraugli", "distance", "lower", "libjxl's psychovisual distance (max-norm: the worst spot): below 1.0 no "
         "visible difference at 1:1, above 2 clearly visible. Needs libjxl's butteraugli_main and 8 px a side."),
    Term("Butteraugli 3-norm", "distance", "lower", "Butteraugli averaged over the image (3-norm) rather than its worst "
         "spot: how much differs, not where it differs most."),
    Term("Encode ms", "milliseconds", "lower", "wall-clock time to write the file here, median of up to 3 runs."),
    Term("Decode ms", "milliseconds", "lower", "wall-clock time to read the file back to pixels (for compress-then-restore, "
         "the model's time included)."),
    Term("Target", "", "", "for equal-size / equal-quality modes: how close the bisected quality setting came (met = within 3 %)."),
    Term("ΔPSNR", "decibels", "higher", "restored minus baseline PSNR: what the model added. The baseline is the degraded "
         "image, or for super-resolution its bicubic upscale (the row marked 'baseline for Δ')."),
    Term("ΔSSIM", "", "higher", "restored minus baseline SSIM."),
    Term("ΔLPIPS", "", "lower", "restored minus baseline LPIPS: negative means perceptually closer to the original."),
    Term("Seconds", "s", "lower", "the model's run time on this machine (CPU or GPU, shown in Device), loading excluded."),
    Term("BD-rate", "%", "lower", "Bjøntegaard delta rate: the average bitrate difference against the anchor codec at equal "
         "quality over the overlapping range; -30 % = 30 % fewer bytes for the same PSNR."),
    Term("BD-PSNR", "decibels", "higher", "Bjøntegaard delta PSNR: the average quality gain at equal bitrate."),
    Term("Quantisation step", "", "", "JPEG divides each DCT coefficient by this number and rounds: a bigger step keeps "
         "fewer levels and makes more coefficients zero."),
    Term("Zero coefficients", "of 64", "", "quantised coefficients that are 0: JPEG stores runs of zeros almost for free, "
         "so more zeros means fewer bytes."),
    Term("Blockiness", "ratio", "closer to 1", "mean luma step across 8×8 block edges ÷ mean step inside blocks; well above 1 "
         "means visible block edges."),
)}


def lines(names: list[str] | tuple[str, ...]) -> str:
    """Markdown bullet lines for ``names`` (unknown names are skipped)."""
    return "\n".join(f"- {TERMS[n].line()}" for n in names if n in TERMS)


ARTIFACTS = """**Artifacts to look for** (use *Zoom to the worst region* and the error view):
- **Blocking**: visible 8×8 (JPEG) or larger (AVIF, WebP) squares in smooth areas: each block was quantised
  alone.
- **Ringing**: ripples beside sharp edges and text: high frequencies were cut, and the remaining ones
  overshoot.
- **Blurring**: fine texture (grass, hair, fabric) smoothed away: its high-frequency coefficients were
  quantised to zero.
- **Colour bleeding**: colour smeared past edges, strongest in red/blue detail: chroma is stored at half
  resolution (4:2:0).
- **Banding**: steps in slow gradients (sky): too few levels survive quantisation.
"""

GENERATIVE_NOTE = ("**Generative model**: GAN-trained restorers (Real-ESRGAN) invent plausible texture that was not in "
                   "the input. PSNR may fall while LPIPS improves: look at both, and do not read invented detail as recovered detail.")

WHY_NEWER = """**Why newer formats do better at the same bytes**
- **Bigger, adaptive transforms**: JPEG uses one 8×8 DCT everywhere. AVIF (AV1) and JPEG XL choose block sizes
  from 4×4 up to 64×64 (AVIF) or 256×256 (JPEG XL) per region, so smooth areas cost a few coefficients and
  edges get small blocks.
- **Intra prediction**: WebP and AVIF predict each block from its already-decoded neighbours (directional,
  smooth, palette modes) and code only the difference.
- **In-loop filtering**: AV1's deblocking, CDEF and loop-restoration filters (WebP's deblocking filter too)
  remove block edges and ringing inside the decoder, and later predictions start from the filtered picture.
- **Better entropy coding**: adaptive arithmetic coding (AV1, WebP's boolean coder) and JPEG XL's
  context-modelled ANS adapt to the image's statistics; JPEG's Huffman tables are fixed per image.
- **Wavelets** (JPEG 2000): a whole-image multi-scale transform, no blocks: at low rates it blurs and rings
  instead of blocking.
"""

AUTOENCODER = """**How a learned (autoencoder) codec differs**: a neural encoder replaces the DCT with a transform learned from
images; its output (the latent) is quantised to integers and entropy-coded with a learned probability model
(the bytes are what that model predicts is likely); a neural decoder maps the latent back to pixels. It is
trained end to end for rate + λ·distortion, and it has no blocks: its artifacts are blur and smeared texture,
not squares. Try it: imgcr's own `ae-hyperprior` is in the Compare tab's codec list; its file (`.icr`) holds the
coded latents, and the picture shown is that file decoded. The encoder can also search for a better latent for
your image before coding it (the option `ae-hyperprior.refine=10` in Compare's codec options): the same
decoder reads the file, which is a few per cent smaller at the same quality, but encoding takes ~30 times longer.
imgcr's own networks trained for hours on two CPU cores; the published, fully trained models of the same designs
(`bmshj2018-factorized`, `bmshj2018-hyperprior`, `mbt2018-mean`, `mbt2018`, `cheng2020-anchor`, `cheng2020-attn`:
CompressAI's pretrained weights, 45-65 % fewer bits than JPEG at equal PSNR on Kodak; the last three decode position
by position and take seconds) are codecs too, through imgcr's own port: download a design's weights in the
Compare tab's "Published learned codecs" box (or `python -m imgcr weights download bmshj2018-hyperprior-4`) and
it joins the codec list; the Benchmark tab draws their published Kodak curves dashed beside yours.
"""
