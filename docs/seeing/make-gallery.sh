#!/usr/bin/env bash
# Makes the gallery of docs/seeing.md: four vit explain runs and one vit attack run (from the repository root, after
# ./mvnw -q package -DskipTests), then ImageMagick shrinks their PNGs (75%, 256 colours) and lays the four CIFAR-10
# images of each method side by side (50%). Run: bash docs/seeing/make-gallery.sh [WORK_DIR]
set -euo pipefail
S=../shared
W=${1:-/tmp/vit4j-gallery}
G=docs/seeing
CONVERT=${CONVERT:-convert}   # ImageMagick 6 (apt-get install imagemagick)
./vit explain --model $S/models/deit-tiny-imagenet/hf --images $S/data/images/coco_000000039769.png \
              --label clean-top1 --out $W/deit-cats
./vit explain --images $S/data/images/coco_000000039769.png --label clean-top1 --out $W/cifar-cats
./vit explain --model $S/models/deit-tiny-imagenet/hf --images cifar10:$S/data/cifar10/test_batch_first1017.bin \
              --limit 4 --label clean-top1 --out $W/deit-cifar
./vit explain --limit 4 --out $W/cifar-cifar
./vit attack --limit 200 --eps 0.5,1,2,4,8 --out $W/attack

methods="saliency gradxinput smoothgrad ig gradcam rollout attention logit-lens occlusion fgsm pgd"
mkdir -p $G/deit-cats $G/cifar-cats $G/deit-cifar $G/cifar-cifar
for run in deit-cats cifar-cats; do
  $CONVERT $W/$run/0/image.png -scale 224x224 -colors 256 PNG8:$G/$run/image.png
  for m in $methods; do
    $CONVERT $W/$run/0/$m.png -resize 75% -colors 256 PNG8:$G/$run/$m.png
  done
done
for run in deit-cifar cifar-cifar; do
  $CONVERT $W/$run/{0,1,2,3}/image.png -scale 128x128 +append -colors 256 PNG8:$G/$run/image.png
  for m in $methods; do
    $CONVERT $W/$run/{0,1,2,3}/$m.png -resize 50% +append -colors 256 PNG8:$G/$run/$m.png
  done
done
$CONVERT $W/attack/robustness.png -colors 256 PNG8:$G/robustness.png
cp $W/attack/robustness.csv $G/robustness.csv
