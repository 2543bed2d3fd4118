"""Small test images made with Pillow."""

import io
from pathlib import Path

from PIL import ExifTags, Image

CAMERA = "Parley Test Camera"


def jpeg_with_exif(path: Path, size: tuple[int, int] = (800, 600)) -> Path:
    """A JPEG that carries camera and GPS metadata, which the portal must strip before storing."""
    image = Image.new("RGB", size, (31, 78, 121))
    for x in range(0, size[0], 40):  # a little structure, so it is not a flat colour
        image.paste((240, 165, 0), (x, 0, x + 20, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.Base.Model] = "Model 42"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (47.0, 22.0, 12.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (8.0, 32.0, 24.0),
    }
    image.save(path, format="JPEG", exif=exif, quality=90)
    with Image.open(path) as check:
        assert check.getexif().get(ExifTags.Base.Make) == CAMERA, "the test image should carry EXIF data"
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo), "the test image should carry GPS data"
    return path


def png(path: Path, size: tuple[int, int] = (120, 60)) -> Path:
    Image.new("RGB", size, (240, 165, 0)).save(path, format="PNG")
    return path


def exif_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return {**dict(exif), **{f"gps:{k}": v for k, v in exif.get_ifd(ExifTags.IFD.GPSInfo).items()}}


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size
