#!/usr/bin/env bash
# The circuit study of issue 22 (docs/results.md, "Circuits"), from the repository root, ../shared beside it:
# the CIFAR-10 model on its first 128 test images and DeiT-tiny on ../shared's 2 images, both under grayscale,
# metric logprob. About 10 minutes on 2 cores. Build first: ./mvnw -q -pl vit-cli -am package -DskipTests
set -euo pipefail
source ./nd4j-env.sh
out=docs/results/circuits
# per image: every edge's EAP, EAP-IG:4 and exact score; Spearman's rho on the 200 edges of largest |exact| with a
# bootstrap 95% CI over the images
java -Xmx1g -cp vit-cli/target/vit.jar $out/EdgeAgreement.java ../shared/models/simplevit-cifar10/hf \
    cifar10:../shared/data/cifar10/test_batch_first1017.bin 128 grayscale logprob 4 200 $out/cifar10
for m in eap eap-ig:4; do
  ./vit circuit --limit 128 --metric logprob --method "$m" --verify-top 200 --out "$out/cifar10/circuit-${m/:/}"
  ./vit circuit --model ../shared/models/deit-tiny-imagenet/hf --images ../shared/data/images --label clean-top1 \
      --limit 2 --batch 2 --metric logprob --method "$m" --verify-top 200 --out "$out/deit-tiny/circuit-${m/:/}"
done
