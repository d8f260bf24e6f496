"""Every write of the blog: posts (``posts``), comments and their moderation
(``comments``), the arithmetic question (``challenges``)."""
