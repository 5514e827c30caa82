#!/usr/bin/env bash
# The cost of a ViT-B/16 causal trace per image, `vit trace` against the same trace as a Spark job (vit-spark's
# TraceApp in local mode), same images and options; docs/performance/notebook.md, "Traces as a Spark job (issue 13)".
#   docs/performance/spark-trace-cost.sh [WORKDIR]      (default WORKDIR: /tmp/vit4j-spark-cost)
# Needs the built jars: ./mvnw -q -B package -pl vit-cli,vit-spark -am -DskipTests. Writes into WORKDIR the model
# (ViT-B/16 with vit-bench's seeded weights, BenchModels.WEIGHT_SEED, as a .vit file, 346 MB), 16 images (CIFAR-10
# test images 0-7 of ../shared as PNGs, twice; resized to 224 by the model's preprocessing), one log per run and
# results.txt. Environment: METHODS (default "exact atp"), SIZES (default "4 8 16").
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-/tmp/vit4j-spark-cost}"
shared="${VIT4J_SHARED:-$repo/../shared}"
mkdir -p "$work/images" "$work/out"
cd "$repo"
source nd4j-env.sh

if [[ ! -f "$work/vitb16-seeded.vit" ]]; then
  cat > "$work/MakeVitB16.java" <<'EOF'
import io.github.vit4j.format.VitFile;
import io.github.vit4j.image.Cifar10;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.image.RgbImage;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;

public class MakeVitB16 {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        VitFile.write(work.resolve("vitb16-seeded.vit"),
                new Pretrained(VitWeights.random(VitConfig.vitB16(), 20261122L), Preprocessing.imagenet(224)));
        Cifar10.Records r = Cifar10.read(Path.of(args[1]), 0, 8);
        for (int i = 0; i < 16; i++) {
            RgbImage im = r.images().get(i % 8);
            BufferedImage b = new BufferedImage(im.width(), im.height(), BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < im.height(); y++) {
                for (int x = 0; x < im.width(); x++) {
                    b.setRGB(x, y, im.sample(x, y, 0) << 16 | im.sample(x, y, 1) << 8 | im.sample(x, y, 2));
                }
            }
            ImageIO.write(b, "png", work.resolve(String.format("images/image_%02d.png", i)).toFile());
        }
    }
}
EOF
  java -Xmx2g -cp vit-cli/target/vit.jar "$work/MakeVitB16.java" "$work" \
      "$shared/data/cifar10/test_batch_first1017.bin" > "$work/make.log" 2>&1 || { cat "$work/make.log"; exit 1; }
fi

./mvnw -q -B -o -pl vit-spark -am compile dependency:build-classpath -Dmdep.includeScope=compile \
    -Dmdep.outputFile="$work/classpath.txt" > /dev/null
cp="$repo/vit-spark/target/classes:$(tr ':' '\n' < "$work/classpath.txt" | grep -v -- '-tests.jar$' | paste -sd:)"
opens=$(sed -n 's:.*<spark.opens>\(.*\)</spark.opens>.*:\1:p' vit-spark/pom.xml)
mem="-Dorg.bytedeco.javacpp.maxbytes=12g -Dorg.bytedeco.javacpp.maxphysicalbytes=12g"
common="--model $work/vitb16-seeded.vit --images $work/images --batch 4 --label clean-top1 --corruption grayscale"

stamp() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"; }
run() {   # run NAME COMMAND...: wall time, and the trace's own time (vit's "traced in", Spark's longest job)
  local name=$1; shift; local s; s=$(date +%s.%N)
  "$@" > "$work/$name.log" 2>&1; local rc=$?
  local inner; inner=$(grep -o 'traced in [0-9.]* s' "$work/$name.log" | grep -o '[0-9.]*' \
      || grep 'Job [0-9]* finished' "$work/$name.log" | grep -o 'took [0-9.]*' | awk '{print $2/1000}' | sort -n | tail -1)
  printf '%-22s rc=%d wall %6.1f s  trace %6.1f s  %s\n' "$name" "$rc" "$(echo "$(date +%s.%N) - $s" | bc)" \
      "${inner:-0}" "$(stamp)" | tee -a "$work/results.txt"
}
vit() { OMP_NUM_THREADS=2 ./vit trace $common "$@"; }
spark() {   # spark MASTER THREADS_PER_TASK ARGS...
  local master=$1 threads=$2; shift 2
  OMP_NUM_THREADS=$threads java -Xmx1g $mem $opens -Dspark.master="$master" -Dspark.ui.enabled=false \
      -Djava.awt.headless=true -cp "$cp" io.github.vit4j.spark.TraceApp $common "$@"
}

echo "start $(stamp); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" | tee -a "$work/results.txt"
for method in ${METHODS:-exact atp}; do
  for n in ${SIZES:-4 8 16}; do
    rm -rf "$work/out/vit-$method-$n" "$work/out/spark1-$method-$n" "$work/out/spark2-$method-$n"   # vit trace resumes
    run "vit-$method-$n" vit --method "$method" --limit "$n" --out "$work/out/vit-$method-$n"
    run "spark1-$method-$n" spark 'local[1]' 2 --method "$method" --limit "$n" --partitions 1 \
        --out "$work/out/spark1-$method-$n"
    run "spark2-$method-$n" spark 'local[2]' 1 --method "$method" --limit "$n" --partitions 2 \
        --out "$work/out/spark2-$method-$n"
    for s in spark1 spark2; do
      if cmp -s "$work/out/vit-$method-$n/trace.csv" "$work/out/$s-$method-$n/trace.csv"; then
        echo "  $s-$method-$n: trace.csv byte-identical to vit trace's" | tee -a "$work/results.txt"
      else
        echo "  $s-$method-$n: trace.csv differs from vit trace's" | tee -a "$work/results.txt"
      fi
    done
  done
done
echo "end $(stamp)" | tee -a "$work/results.txt"
