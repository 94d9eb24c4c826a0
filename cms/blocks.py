"""The one block set every editorial body is written in (articles now, lessons later).

Each block has its own template under ``cms/templates/cms/blocks/``, an icon and a preview value,
so editors see in the chooser what a block will look like before they pick it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock

# Headings start at h2: the page title is the only h1. No images or embeds inside rich text, so
# every picture goes through ImageFigureBlock and gets responsive renditions.
RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "hr"]
SHORT_TEXT_FEATURES = ["bold", "italic", "ol", "ul", "link"]
VIDEO_EXTENSIONS = (".mp4", ".webm")


class ImageFigureBlock(blocks.StructBlock):
    image = ImageBlock(label=_("图片"))
    caption = blocks.CharBlock(label=_("图注"), required=False, max_length=120)

    class Meta:
        icon = "image"
        label = _("图片")
        template = "cms/blocks/image_figure.html"


class VideoBlock(blocks.StructBlock):
    """A video from the document library (mp4/webm) or from a video site (embed URL)."""

    file = DocumentChooserBlock(label=_("视频文件"), required=False, help_text=_("上传 mp4 或 webm 文件"))
    embed = EmbedBlock(label=_("视频网址"), required=False, help_text=_("或填写视频网站的播放页地址"))
    caption = blocks.CharBlock(label=_("说明"), required=False, max_length=120)

    class Meta:
        icon = "media"
        label = _("视频")
        template = "cms/blocks/video.html"

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        errors: dict[str, ValidationError] = {}
        if bool(value.get("file")) == bool(value.get("embed")):
            errors["file"] = ValidationError(_("请上传视频文件或填写视频网址，二者选一。"))
        elif value.get("file") and not value["file"].file.name.lower().endswith(VIDEO_EXTENSIONS):
            errors["file"] = ValidationError(_("视频文件只能是 mp4 或 webm 格式。"))
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("类型"),
        choices=[("tip", _("提示")), ("warning", _("注意")), ("law", _("法规"))],
        default="tip",
        search_index=False,
    )
    title = blocks.CharBlock(label=_("标题"), required=False, max_length=60)
    text = blocks.RichTextBlock(label=_("内容"), features=SHORT_TEXT_FEATURES)

    class Meta:
        icon = "help"
        label = _("提示框")
        template = "cms/blocks/callout.html"
        preview_value = {"kind": "tip", "title": "小提示", "text": "<p>佩戴耳塞前先洗手，搓细后塞入耳道并按住 20 秒。</p>"}


class KeyPointsBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"), required=False, max_length=60, default="要点")
    points = blocks.ListBlock(blocks.CharBlock(label=_("要点"), max_length=200), label=_("要点"), min_num=1)

    class Meta:
        icon = "list-ul"
        label = _("要点")
        template = "cms/blocks/key_points.html"
        preview_value = {"title": "要点", "points": ["上岗前体检", "在岗期间定期体检", "离岗时体检"]}


class FaqItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("问题"), max_length=200)
    answer = blocks.RichTextBlock(label=_("回答"), features=SHORT_TEXT_FEATURES)


class FaqBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"), required=False, max_length=60, default="常见问题")
    items = blocks.ListBlock(FaqItemBlock(), label=_("问答"), min_num=1)

    class Meta:
        icon = "help"
        label = _("常见问题")
        template = "cms/blocks/faq.html"
        preview_value = {
            "title": "常见问题",
            "items": [{"question": "体检费用由谁承担？", "answer": "<p>由用人单位承担。</p>"}],
        }


class RelatedArticlesBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"), required=False, max_length=60, default="延伸阅读", search_index=False)
    articles = blocks.ListBlock(blocks.PageChooserBlock(page_type="cms.ArticlePage"), label=_("文章"), min_num=1)

    class Meta:
        icon = "doc-full"
        label = _("相关文章")
        template = "cms/blocks/related_articles.html"


class BodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        label=_("正文"),
        features=RICH_TEXT_FEATURES,
        icon="pilcrow",
        template="cms/blocks/paragraph.html",
        preview_value="<h2>为什么要戴耳塞</h2><p>长期接触噪声会造成听力损失，而且难以恢复。</p>",
    )
    image = ImageFigureBlock()
    video = VideoBlock()
    callout = CalloutBlock()
    key_points = KeyPointsBlock()
    faq = FaqBlock()
    related = RelatedArticlesBlock()

    class Meta:
        block_counts = {"related": {"max_num": 1}}
