"""Segment a micrograph into phases by clustering its pixel colours; report each phase's area fraction.

Pixels are clustered by colour (or grey level), optionally with local texture (mean and
spread of the grey level in a window) and position. Writes segmented.png (each pixel in
its phase's mean colour), phases.png, segmentation.png (side by side, with the area
fractions), phases.csv and labels.csv (phase of every pixel). Phases are numbered from
darkest to brightest.
"""

from __future__ import annotations

from atomatlas.cli import common

EXAMPLES = """examples:
  atomatlas segment micrograph.png --k 3 --out runs/seg
  atomatlas segment dataset:micrograph.png --k auto --k-max 6 --out runs/seg-auto   # built-in example
  atomatlas segment grey.tif --k 2 --texture 9 --out runs/seg-texture               # grey level + texture
  atomatlas segment micrograph.png --method gmm --k 4 --out runs/seg-gmm
"""


def add_arguments(parser) -> None:
    parser.add_argument("image", help="image file (PNG, JPEG, TIFF, BMP...) or dataset:micrograph.png")
    group = parser.add_argument_group("segmentation")
    group.add_argument("--k", type=common.parse_k, required=True, help="number of phases, or 'auto' (silhouette)")
    group.add_argument("--method", default="kmeans", help="kmeans (default), minibatch_kmeans or gmm")
    group.add_argument("--param", action="append", metavar="NAME=VALUE", help="clustering parameter (repeatable)")
    group.add_argument("--k-max", type=int, default=8, help="largest k tried by --k auto (default 8)")
    group.add_argument("--texture", type=int, default=0, metavar="PIXELS",
                       help="add local mean and spread of the grey level in a window this wide (odd, e.g. 9)")
    group.add_argument("--position-weight", type=float, default=0.0,
                       help="add pixel position with this weight (0 = colour only, the default)")
    group.add_argument("--smooth", type=int, default=3, metavar="PIXELS",
                       help="majority filter over this odd window after clustering, so mixed pixels on blurred "
                            "boundaries join a neighbouring phase (default 3; 0 = off, the seed's plain version)")
    group.add_argument("--sample", type=int, default=20000,
                       help="pixels the clusterer is fitted on (all pixels are labelled; default 20000)")
    common.add_output_arguments(parser)


def run(args) -> int:
    from atomatlas import api
    from atomatlas.cli.summaries import segmentation

    result = api.segment(common.table_path(args.image), args.out, k=args.k, method=args.method,
                         params=common.parse_params(args.param), k_max=args.k_max, texture=args.texture,
                         position_weight=args.position_weight, smooth=args.smooth, sample=args.sample,
                         seed=args.seed, overwrite=args.overwrite, report=not args.no_report, progress=True)
    print(segmentation(result))
    return 0
