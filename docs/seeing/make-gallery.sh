#!/usr/bin/env bash
# Makes the gallery of docs/seeing.md: four vit explain runs, one vit attack run, DeiT-tiny's filters (k-means with
# k = 6 and k = 24), the CIFAR-10 CLS map at blocks 0, 2 and 3, and two feature visualisations (from the repository
# root, after ./mvnw -q package -DskipTests), then ImageMagick shrinks their PNGs (75% or 50%, 256 colours) and lays
# the four CIFAR-10 images of each method, and the three layers' maps, side by side.
# Run: bash docs/seeing/make-gallery.sh [WORK_DIR]
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
./vit filters --model $S/models/deit-tiny-imagenet/hf --clusters 6 --zoom 4 --out $W/filters-k6
./vit filters --model $S/models/deit-tiny-imagenet/hf --clusters 24 --zoom 2 --out $W/filters-k24
./vit embed-map --limit 1000 --layer 0,2,3 --out $W/embed
./vit visualize --model $S/models/deit-tiny-imagenet/hf --site blocks.5.mlp_post --neuron 42 --token all \
                --steps 256 --out $W/vis-deit
./vit visualize --site logits --neuron 3 --steps 256 --out $W/vis-cifar-cat

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

mkdir -p $G/filters $G/embed $G/visualize
$CONVERT $W/filters-k6/filters.png -resize 50% -colors 256 PNG8:$G/filters/filters.png
$CONVERT $W/filters-k6/filter-clusters.png -resize 50% -colors 256 PNG8:$G/filters/clusters-k6.png
cp $W/filters-k24/filter-clusters.csv $G/filters/clusters-k24.csv
cp $W/filters-k6/filter-clusters.csv $G/filters/clusters-k6.csv
for kind in pca tsne; do
  $CONVERT $W/embed/$kind-layer{0,2,3}.png -resize 50% +append -colors 256 PNG8:$G/embed/$kind.png
done
$CONVERT $W/vis-deit/visualization-0.png -colors 256 PNG8:$G/visualize/deit-block5-neuron42.png
cp $W/vis-cifar-cat/visualization-0.png $G/visualize/cifar-logit3-cat.png
