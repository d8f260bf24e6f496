from __future__ import annotations

from mutualist.cli import main

main()
