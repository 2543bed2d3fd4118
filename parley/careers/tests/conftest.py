import io

import pytest
from django.core.cache import cache

from parley.careers.models import Position


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def pdf_bytes(text: str = "Curriculum vitae", *, author: str = "") -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0]
    page.obj.Contents = pdf.make_stream(f"BT /F1 12 Tf 10 10 Td ({text}) Tj ET".encode())
    if author:
        pdf.docinfo["/Author"] = author
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


def jpeg_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 80), "blue").save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def position(world) -> Position:
    return Position.objects.create(tenant=world.acme, title="Mortgage adviser", description="Advise customers.")
