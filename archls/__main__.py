import sys

from archls.cli import main

sys.exit(main())
