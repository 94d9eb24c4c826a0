"""Make the demo lesson's video, 耳塞的正确佩戴 (how to wear foam earplugs), from drawn frames.

Dev-time only: the committed result is ``earplug-steps.webm`` (VP9) and ``earplug-steps.mp4``
(H.264, for the phones whose browsers play no WebM) beside this file; the demo seeder only copies
them into the document library, so neither ffmpeg nor this script is needed to seed.

    .venv/bin/python learning/demo/make_video.py [--font PATH] [--fps 15] [--out-dir learning/demo]

Every frame is drawn with Pillow at twice the size and scaled down (Pillow draws no anti-aliased
shapes), then piped as raw RGB to one ffmpeg that writes both files. The captions are burnt in, in
the Noto CJK font the certificates use (``--font``, else ``CERTIFICATE_FONT``, else the Noto CJK
files the certificate renderer finds on this machine), so the steps read without sound: the
video has no audio track, and the lesson's text says the same steps for whoever cannot play it.

The steps are the four-step method of the exam bank's hearing-protection questions (搓、拉、塞、按),
then the seal check and taking the plug out.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WIDTH, HEIGHT = 640, 360
SCALE = 2  # drawn at 1280 × 720, scaled down: smooth edges
STEM = "earplug-steps"

# Colours: the site's green, a warm foam orange for the plug, skin and hair.
GREEN = (11, 107, 58)
DARK = (31, 42, 36)
WHITE = (255, 255, 255)
CREAM = (250, 247, 238)
FOAM = (247, 153, 38)
FOAM_DARK = (196, 104, 12)
SKIN = (241, 196, 160)
SKIN_DARK = (201, 146, 110)
# The hands a shade darker than the face, so a finger in front of it still reads as a finger.
HAND = (226, 170, 128)
HAND_DARK = (160, 104, 70)
HAIR = (58, 46, 40)
CANAL = (120, 62, 52)
SOUND = (52, 120, 190)
GREY = (120, 128, 124)

Point = tuple[float, float]
Colour = tuple[int, ...] | None
Painter = Callable[["Frame", float], None]


@dataclass(frozen=True)
class Scene:
    seconds: float
    step: int  # 1–4 for the four steps, 0 otherwise
    caption: str
    paint: Painter


class Frame:
    """One frame being drawn: coordinates in 640 × 360 units, scaled on the way in."""

    def __init__(self, fonts: Fonts, background: tuple[int, int, int] = CREAM) -> None:
        self.image = Image.new("RGB", (WIDTH * SCALE, HEIGHT * SCALE), background)
        self.draw = ImageDraw.Draw(self.image)
        self.fonts = fonts

    @staticmethod
    def _s(values: tuple[float, ...] | list[float]) -> list[float]:
        return [value * SCALE for value in values]

    def ellipse(self, box: tuple[float, float, float, float], fill: Colour = None, outline: Colour = None,
                width: float = 0) -> None:
        self.draw.ellipse(self._s(box), fill=fill, outline=outline, width=int(width * SCALE))

    def circle(self, centre: Point, radius: float, fill: Colour = None, outline: Colour = None, width: float = 0) -> None:
        x, y = centre
        self.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill, outline=outline, width=width)

    def rounded(self, box: tuple[float, float, float, float], radius: float, fill: Colour = None,
                outline: Colour = None, width: float = 0) -> None:
        self.draw.rounded_rectangle(self._s(box), radius=radius * SCALE, fill=fill, outline=outline,
                                    width=int(width * SCALE))

    def polygon(self, points: Sequence[Point], fill: Colour = None, outline: Colour = None) -> None:
        self.draw.polygon([(x * SCALE, y * SCALE) for x, y in points], fill=fill, outline=outline)

    def line(self, points: Sequence[Point], fill: Colour, width: float) -> None:
        self.draw.line([(x * SCALE, y * SCALE) for x, y in points], fill=fill, width=int(width * SCALE),
                       joint="curve")

    def arc(self, centre: Point, radius: float, start: float, end: float, fill: Colour, width: float) -> None:
        x, y = centre
        self.draw.arc(self._s((x - radius, y - radius, x + radius, y + radius)), start, end, fill=fill,
                      width=int(width * SCALE))

    def arrow(self, start: Point, end: Point, fill: Colour = GREEN, width: float = 5, head: float = 14) -> None:
        angle = math.atan2(end[1] - start[1], end[0] - start[0])
        base = (end[0] - head * 0.8 * math.cos(angle), end[1] - head * 0.8 * math.sin(angle))
        self.line([start, base], fill, width)
        left = (end[0] - head * math.cos(angle - 0.5), end[1] - head * math.sin(angle - 0.5))
        right = (end[0] - head * math.cos(angle + 0.5), end[1] - head * math.sin(angle + 0.5))
        self.polygon([end, left, right], fill=fill)

    def text(self, position: Point, text: str, size: int, fill: Colour = DARK, bold: bool = False,
             anchor: str = "la") -> None:
        font = self.fonts.get(size, bold)
        self.draw.text((position[0] * SCALE, position[1] * SCALE), text, font=font, fill=fill, anchor=anchor)

    def text_width(self, text: str, size: int, bold: bool = False) -> float:
        return self.draw.textlength(text, font=self.fonts.get(size, bold)) / SCALE

    def finished(self) -> bytes:
        return self.image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS).tobytes()


class Fonts:
    def __init__(self, regular: tuple[str, int], bold: tuple[str, int]) -> None:
        self._files = {False: regular, True: bold}
        self._cache: dict[tuple[int, bool], ImageFont.FreeTypeFont] = {}

    def get(self, size: int, bold: bool) -> ImageFont.FreeTypeFont:
        key = (size, bold)
        if key not in self._cache:
            path, index = self._files[bold]
            self._cache[key] = ImageFont.truetype(path, size * SCALE, index=index)
        return self._cache[key]


def find_fonts(explicit: str | None) -> Fonts:
    """The certificate renderer's fonts: its settings or the Noto CJK files it finds (asked through
    Django, so this script and the certificates can never disagree about what a CJK font is)."""
    if explicit:
        return Fonts((explicit, _sc_face(explicit)), (explicit, _sc_face(explicit)))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from exams.services.certificates import certificate_fonts

    found = certificate_fonts()
    return Fonts((found.regular.path, found.regular.index), (found.bold.path, found.bold.index))


def _sc_face(path: str) -> int:
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(16):
        try:
            if (ImageFont.truetype(path, 12, index=index).getname()[0] or "").endswith("SC"):
                return index
        except OSError:
            break
    return 0


def ease(value: float) -> float:
    """Smooth start and stop (0–1 → 0–1)."""
    value = min(1.0, max(0.0, value))
    return value * value * (3 - 2 * value)


def between(value: float, start: float, end: float) -> float:
    """Where ``value`` is between ``start`` and ``end``, as 0–1."""
    return min(1.0, max(0.0, (value - start) / (end - start)))


def mix(a: Point, b: Point, share: float) -> Point:
    return (a[0] + (b[0] - a[0]) * share, a[1] + (b[1] - a[1]) * share)


# -- the figures ---------------------------------------------------------------------------------

HEAD = (300.0, 150.0)
EAR = (338.0, 152.0)  # the ear's centre; the canal opening a little in front of it
CANAL_AT = (333.0, 158.0)


def head(frame: Frame, ear_shift: Point = (0, 0)) -> None:
    """A head in profile, facing left: the ear is right of centre, the back of the head further right."""
    x, y = HEAD
    frame.ellipse((x - 105, y - 115, x + 100, y + 110), fill=SKIN, outline=SKIN_DARK, width=2)
    # Hair over the crown and the back of the head.
    frame.polygon([(x - 95, y - 55), (x - 70, y - 105), (x - 10, y - 122), (x + 60, y - 108), (x + 98, y - 60),
                   (x + 102, y + 10), (x + 86, y + 62), (x + 66, y + 18), (x + 58, y - 40), (x + 10, y - 70),
                   (x - 60, y - 66)], fill=HAIR)
    # Nose and eye on the face side (left).
    frame.polygon([(x - 104, y - 10), (x - 124, y + 22), (x - 100, y + 28)], fill=SKIN, outline=SKIN_DARK)
    frame.circle((x - 62, y - 18), 6, fill=DARK)
    frame.line([(x - 74, y - 34), (x - 50, y - 38)], HAIR, 4)
    frame.line([(x - 90, y + 58), (x - 68, y + 62)], SKIN_DARK, 3)
    # Neck.
    frame.rounded((x - 10, y + 95, x + 60, y + 150), 16, fill=SKIN, outline=SKIN_DARK, width=2)
    ear(frame, ear_shift)


def ear(frame: Frame, shift: Point = (0, 0)) -> None:
    ex, ey = EAR[0] + shift[0], EAR[1] + shift[1]
    frame.ellipse((ex - 20, ey - 34, ex + 22, ey + 34), fill=SKIN, outline=SKIN_DARK, width=3)
    frame.arc((ex + 2, ey - 4), 18, 200, 420, SKIN_DARK, 3)
    frame.circle(CANAL_AT, 7, fill=CANAL)


def finger(frame: Frame, tip: Point, angle_degrees: float, length: float = 70, thickness: float = 22) -> None:
    """A finger as a capsule from ``tip`` back along ``angle_degrees`` (0 = pointing right)."""
    angle = math.radians(angle_degrees)
    back = (tip[0] - length * math.cos(angle), tip[1] - length * math.sin(angle))
    frame.line([back, tip], HAND_DARK, thickness + 4)
    frame.line([back, tip], HAND, thickness)
    frame.circle(tip, thickness / 2 + 2, fill=HAND_DARK)
    frame.circle(tip, thickness / 2, fill=HAND)
    nail = (tip[0] - 6 * math.cos(angle), tip[1] - 6 * math.sin(angle))
    frame.circle(nail, thickness / 4, fill=(248, 220, 200))


def plug(frame: Frame, centre: Point, length: float, thickness: float, angle_degrees: float = 0,
         visible: float = 1.0) -> None:
    """A foam earplug: a capsule; ``visible`` is the share outside the ear (it is drawn from its back)."""
    angle = math.radians(angle_degrees)
    half = length / 2
    front = (centre[0] + half * math.cos(angle), centre[1] + half * math.sin(angle))
    back = (centre[0] - half * math.cos(angle), centre[1] - half * math.sin(angle))
    shown_front = mix(back, front, visible)
    if visible <= 0:
        return
    frame.line([back, shown_front], FOAM_DARK, thickness + 3)
    frame.line([back, shown_front], FOAM, thickness)
    frame.circle(back, thickness / 2 + 1.5, fill=FOAM_DARK)
    frame.circle(back, thickness / 2, fill=FOAM)
    if visible >= 0.999:
        frame.circle(front, thickness / 2 + 1.5, fill=FOAM_DARK)
        frame.circle(front, thickness / 2, fill=FOAM)
    # Foam texture: a few pores.
    for step in range(1, 4):
        pore = mix(back, shown_front, step / 4)
        frame.circle(pore, max(1.2, thickness / 10), fill=FOAM_DARK)


def tick(frame: Frame, centre: Point, size: float, fill: Colour = GREEN) -> None:
    x, y = centre
    frame.line([(x - size, y), (x - size * 0.3, y + size * 0.7), (x + size, y - size * 0.8)], fill, size / 3)


def sound_waves(frame: Frame, origin: Point, phase: float, strength: float = 1.0) -> None:
    for ring in range(3):
        radius = 18 + ((phase * 40 + ring * 22) % 66)
        colour = tuple(int(c + (255 - c) * (1 - strength) * 0.8) for c in SOUND)
        frame.arc(origin, radius, -40, 40, colour, 4)


# -- the scenes ----------------------------------------------------------------------------------

def title(frame: Frame, t: float) -> None:
    frame.rounded((40, 40, 600, 250), 24, fill=WHITE, outline=GREEN, width=3)
    frame.text((320, 92), "耳塞的正确佩戴", 40, GREEN, bold=True, anchor="mm")
    frame.text((320, 150), "四步法：搓、拉、塞、按", 26, DARK, anchor="mm")
    reveal = ease(between(t, 0.8, 2.5))
    for index, word in enumerate("搓拉塞按"):
        x = 200 + index * 80
        if reveal * 4 > index:
            frame.circle((x, 206), 24, fill=GREEN)
            frame.text((x, 206), word, 24, WHITE, bold=True, anchor="mm")
        else:
            frame.circle((x, 206), 24, outline=GREEN, width=2)


def roll(frame: Frame, t: float) -> None:
    """搓: the plug rolled thin between thumb and finger."""
    share = ease(between(t, 0.5, 6.0))
    wobble = math.sin(t * 7) * 10 * (1 - share * 0.4)
    thickness = 40 - 24 * share
    length = 70 + 26 * share
    centre = (320 + wobble * 0.3, 150)
    plug(frame, centre, length, thickness)
    finger(frame, (centre[0] + 40 + wobble, centre[1] - thickness / 2 - 11), 200, length=130, thickness=24)
    finger(frame, (centre[0] - 40 - wobble, centre[1] + thickness / 2 + 11), 20, length=130, thickness=26)
    frame.arc((320, 150), 95, 200, 250, GREEN, 4)
    frame.arc((320, 150), 95, 20, 70, GREEN, 4)
    frame.text((74, 150), "搓细", 30, GREEN, bold=True, anchor="mm")
    frame.text((566, 150), "越细越好", 20, GREY, anchor="mm")


def pull(frame: Frame, t: float) -> None:
    """拉: the other hand, over the back of the head, pulls the ear up and back; the canal straightens."""
    share = ease(between(t, 1.0, 4.0))
    ear_shift = (5 * share, -6 * share)
    head(frame, ear_shift)
    tip = (EAR[0] + 12 + ear_shift[0], EAR[1] - 36 + ear_shift[1])
    finger(frame, tip, 125, length=110, thickness=24)
    frame.arrow((EAR[0] + 62, EAR[1] - 30), (EAR[0] + 62 + 34 * share + 6, EAR[1] - 30 - 34 * share - 6))
    frame.text((EAR[0] + 96, EAR[1] - 40), "向上、向后", 20, GREEN, bold=True)
    # Inset: the ear canal, curved, then straight.
    frame.rounded((20, 24, 200, 130), 14, fill=WHITE, outline=GREY, width=2)
    frame.text((110, 44), "耳道由弯变直", 17, DARK, anchor="mm")
    bend = 1 - share
    points = [(44 + step * 13, 92 + math.sin(step / 9 * math.pi * 1.5) * 18 * bend) for step in range(10)]
    frame.line(points, CANAL, 12)
    frame.line(points, (200, 120, 110), 6)


def insert(frame: Frame, t: float) -> None:
    """塞: the thin plug pushed deep into the canal."""
    head(frame, (5, -6))
    finger(frame, (EAR[0] + 17, EAR[1] - 42), 125, length=110, thickness=24)
    depth = ease(between(t, 0.8, 4.5))
    start = (CANAL_AT[0] - 70, CANAL_AT[1] + 10)
    centre = mix(start, (CANAL_AT[0] + 12, CANAL_AT[1]), depth)
    plug(frame, centre, 52, 14, angle_degrees=-8, visible=1 - 0.62 * depth)
    back = (centre[0] - 26 * math.cos(math.radians(-8)), centre[1] - 26 * math.sin(math.radians(-8)))
    finger(frame, (back[0] - 9, back[1] + 1), -8, length=100, thickness=22)
    frame.arrow((CANAL_AT[0] - 110, CANAL_AT[1] + 50), (CANAL_AT[0] - 60, CANAL_AT[1] + 40))
    frame.text((60, 250), "塞进耳道深处", 22, GREEN, bold=True)


def hold(frame: Frame, t: float) -> None:
    """按: a fingertip holds the plug while it expands; the timer stands for 20–30 s."""
    head(frame)
    plug(frame, (CANAL_AT[0] - 4, CANAL_AT[1]), 30, 14, angle_degrees=-8)
    finger(frame, (CANAL_AT[0] - 16, CANAL_AT[1] + 4), -10, length=100, thickness=22)
    for ring in range(2):
        grow = (t * 0.8 + ring * 0.5) % 1
        frame.arc(CANAL_AT, 16 + grow * 26, 0, 360, (247, 190, 120), 3)
    share = between(t, 0.5, 7.0)
    centre = (110, 110)
    frame.circle(centre, 58, fill=WHITE, outline=GREY, width=2)
    frame.arc(centre, 50, -90, -90 + 360 * share, GREEN, 10)
    seconds = round(30 * share)
    frame.text(centre, f"{seconds} 秒", 26, DARK, bold=True, anchor="mm")
    frame.text((110, 192), "按住 20～30 秒", 18, DARK, anchor="mm")
    frame.text((110, 216), "（动画已加速）", 14, GREY, anchor="mm")
    if share >= 1:
        tick(frame, (190, 70), 14)


def check(frame: Frame, t: float) -> None:
    """检查: cup the ear and let go; if the sound hardly changes, the plug seals."""
    head(frame)
    plug(frame, (CANAL_AT[0] - 4, CANAL_AT[1]), 30, 14, angle_degrees=-8)
    covered = int(t / 1.2) % 2 == 1
    sound_waves(frame, (CANAL_AT[0] - 250, CANAL_AT[1] - 30), t, strength=1.0)
    if covered:
        frame.ellipse((EAR[0] - 40, EAR[1] - 58, EAR[0] + 46, EAR[1] + 58), fill=SKIN, outline=SKIN_DARK, width=3)
        for offset in (-30, -10, 10, 30):
            frame.line([(EAR[0] - 30, EAR[1] + offset), (EAR[0] + 34, EAR[1] + offset * 0.9)], SKIN_DARK, 2)
    frame.text((40, 40), "捂住" if covered else "松开", 24, GREEN, bold=True)
    frame.rounded((430, 210, 626, 276), 12, fill=WHITE, outline=GREEN, width=2)
    frame.text((452, 224), "声音差别不大", 18, DARK, bold=True)
    frame.text((452, 250), "说明密封好了", 18, DARK)
    tick(frame, (600, 243), 10)


def remove(frame: Frame, t: float) -> None:
    """取出: turn gently and draw it out slowly."""
    head(frame)
    out = ease(between(t, 0.8, 5.0))
    centre = mix((CANAL_AT[0] + 8, CANAL_AT[1]), (CANAL_AT[0] - 70, CANAL_AT[1] + 6), out)
    plug(frame, centre, 40, 20, angle_degrees=-8, visible=0.45 + 0.55 * out)
    turn = (t * 220) % 360
    frame.arc((CANAL_AT[0] - 40, CANAL_AT[1]), 34, turn, turn + 250, GREEN, 4)
    frame.text((24, 200), "轻轻旋转", 22, GREEN, bold=True)
    frame.text((24, 230), "慢慢取出", 22, GREEN, bold=True)
    frame.text((24, 262), "不要猛拔", 18, GREY)


def closing(frame: Frame, t: float) -> None:
    frame.rounded((40, 36, 600, 256), 24, fill=WHITE, outline=GREEN, width=3)
    frame.text((320, 84), "进入噪声区前戴好，全程不摘", 28, GREEN, bold=True, anchor="mm")
    frame.text((320, 136), "耳塞个人专用，不与他人共用", 21, DARK, anchor="mm")
    frame.text((320, 170), "泡棉变硬、变脏、回弹变慢就更换", 21, DARK, anchor="mm")
    frame.text((320, 222), "本平台原创演示动画", 15, GREY, anchor="mm")


SCENES: tuple[Scene, ...] = (
    Scene(4.0, 0, "长期接触噪声会损伤听力，而且难以恢复。正确佩戴耳塞，才能挡住噪声。", title),
    Scene(7.0, 1, "第一步 搓：洗净双手，把泡棉耳塞搓成细长的圆柱。", roll),
    Scene(7.0, 2, "第二步 拉：另一只手绕过头后，把耳廓向上、向后拉，让耳道变直。", pull),
    Scene(6.0, 3, "第三步 塞：趁耳塞还细，把它塞进耳道深处。", insert),
    Scene(8.0, 4, "第四步 按：用手指按住耳塞 20～30 秒，等它膨胀定型再松手。", hold),
    Scene(6.0, 0, "检查：双手捂住耳朵再松开，听到的声音差别不大，说明戴好了；差别明显就重新戴。", check),
    Scene(6.0, 0, "取出：一边轻轻旋转，一边慢慢向外取出，不要猛地拔出。", remove),
    Scene(4.0, 0, "在噪声区内，护听器要全程佩戴。", closing),
)


def chrome(frame: Frame, scene: Scene) -> None:
    """The step dots at the top right and the caption band at the bottom."""
    for index, word in enumerate("搓拉塞按"):
        x = 480 + index * 38
        current = scene.step == index + 1
        frame.circle((x, 22), 14, fill=GREEN if current else WHITE, outline=GREEN, width=2)
        frame.text((x, 22), word, 15, WHITE if current else GREEN, bold=current, anchor="mm")
    frame.rounded((0, 292, WIDTH, HEIGHT), 0, fill=(24, 36, 30))
    lines = wrap(frame, scene.caption, 21, WIDTH - 48)
    top = 326 - (len(lines) - 1) * 14
    for number, line in enumerate(lines):
        frame.text((WIDTH / 2, top + number * 28), line, 21, WHITE, anchor="mm")


def wrap(frame: Frame, text: str, size: int, width: float) -> list[str]:
    """Chinese wraps anywhere; a line never starts with closing punctuation."""
    lines: list[str] = []
    current = ""
    for char in text:
        if frame.text_width(current + char, size) > width and current and char not in "，。：；、）":
            lines.append(current)
            current = char
        else:
            current += char
    if current:
        lines.append(current)
    return lines[:2]


def frame_count(fps: int) -> int:
    return sum(round(scene.seconds * fps) for scene in SCENES)


def frames(fonts: Fonts, fps: int) -> Iterator[bytes]:
    """Every frame in order, as raw RGB."""
    for scene in SCENES:
        for number in range(round(scene.seconds * fps)):
            frame = Frame(fonts)
            scene.paint(frame, number / fps)
            chrome(frame, scene)
            yield frame.finished()


def encode(fonts: Fonts, fps: int, out_dir: Path) -> list[Path]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("ffmpeg is needed to make the video (Debian/Ubuntu: apt-get install -y ffmpeg)")
    webm, mp4 = out_dir / f"{STEM}.webm", out_dir / f"{STEM}.mp4"
    gop = str(fps * 4)  # a key frame every 4 s: seeking back stays quick, the file stays small
    command = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(fps), "-i", "-",
        # VP9 at constant quality: flat drawn colours need few bits.
        "-c:v", "libvpx-vp9", "-crf", "40", "-b:v", "0", "-deadline", "good", "-cpu-used", "2",
        "-row-mt", "1", "-g", gop, "-pix_fmt", "yuv420p", "-an", "-metadata", "title=耳塞的正确佩戴", str(webm),
        # H.264 Main profile, faststart: plays in every phone browser, starts before it is all loaded.
        "-c:v", "libx264", "-preset", "veryslow", "-tune", "animation", "-crf", "30", "-profile:v", "main",
        "-g", gop, "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-an", "-metadata", "title=耳塞的正确佩戴",
        str(mp4),
    ]
    total = frame_count(fps)
    process = subprocess.Popen(command, stdin=subprocess.PIPE)  # noqa: S603 - our own fixed command line
    assert process.stdin is not None
    try:
        for count, data in enumerate(frames(fonts, fps), start=1):
            process.stdin.write(data)
            if count % (fps * 5) == 0:
                print(f"  {count}/{total} frames", file=sys.stderr)
    finally:
        process.stdin.close()
    if process.wait() != 0:
        raise SystemExit(f"ffmpeg failed ({process.returncode})")
    return [webm, mp4]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="make_video.py", description=__doc__.splitlines()[0])
    parser.add_argument("--font", help="a .ttf/.otf/.ttc with Chinese glyphs (default: the certificates' font)")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--out-dir", type=Path, default=HERE)
    parser.add_argument("--still", type=float, help="write one frame at this second as PNG instead (to look at)")
    args = parser.parse_args(argv)
    fonts = find_fonts(args.font)
    if args.still is not None:
        elapsed = 0.0
        for scene in SCENES:
            if args.still < elapsed + scene.seconds:
                frame = Frame(fonts)
                scene.paint(frame, args.still - elapsed)
                chrome(frame, scene)
                path = args.out_dir / f"{STEM}-{args.still:g}s.png"
                Image.frombytes("RGB", (WIDTH, HEIGHT), frame.finished()).save(path)
                print(path)
                return
            elapsed += scene.seconds
        raise SystemExit(f"the video is {elapsed:g} s long")
    for path in encode(fonts, args.fps, args.out_dir):
        print(f"{path}: {path.stat().st_size / 1024:,.0f} KB")


if __name__ == "__main__":
    main()
