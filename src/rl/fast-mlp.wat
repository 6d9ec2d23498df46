;; The dense layers of FastMlp (src/rl/networks.ts) in WebAssembly with 128-bit SIMD.
;;
;; Compiled by `npm run build:wasm` into fast-mlp-wasm.ts (committed; a test checks the two agree).
;; Every output is computed with the same float64 operations in the same order as FastMlp's
;; JavaScript loop (bias, then + x[i] * w[i][j] for i ascending, then the same tanh), so the two
;; paths give bit-identical results; SIMD only evaluates two outputs per instruction.
;;
;; Memory layout, written by the caller (all float64):
;;   input  [inSize]
;;   kernel [inSize][outPad]  row-major (input-major), outPad = outSize rounded up to 8, zero padded
;;   bias   [outPad]          zero padded
;;   output [outPad]
(module
  (import "math" "tanh" (func $math_tanh (param f64) (result f64)))
  (memory (export "memory") 1)

  ;; The rational fit of tanh FastMlp uses (Eigen's), operation for operation.
  (func $tanh (param $x f64) (result f64)
    (local $x2 f64) (local $p f64) (local $q f64)
    (if (i32.or (f64.gt (local.get $x) (f64.const 7.90531110763549805))
                (f64.lt (local.get $x) (f64.const -7.90531110763549805)))
      (then (return (call $math_tanh (local.get $x)))))
    (if (i32.and (f64.lt (local.get $x) (f64.const 0.0004))
                 (f64.gt (local.get $x) (f64.const -0.0004)))
      (then (return
        (f64.sub (local.get $x)
          (f64.div (f64.mul (f64.mul (local.get $x) (local.get $x)) (local.get $x)) (f64.const 3))))))
    (local.set $x2 (f64.mul (local.get $x) (local.get $x)))
    (local.set $p (f64.add (f64.mul (local.get $x2) (f64.const -2.76076847742355e-16)) (f64.const 2.00018790482477e-13)))
    (local.set $p (f64.add (f64.mul (local.get $x2) (local.get $p)) (f64.const -8.60467152213735e-11)))
    (local.set $p (f64.add (f64.mul (local.get $x2) (local.get $p)) (f64.const 5.12229709037114e-8)))
    (local.set $p (f64.add (f64.mul (local.get $x2) (local.get $p)) (f64.const 1.48572235717979e-5)))
    (local.set $p (f64.add (f64.mul (local.get $x2) (local.get $p)) (f64.const 6.37261928875436e-4)))
    (local.set $p (f64.add (f64.mul (local.get $x2) (local.get $p)) (f64.const 4.89352455891786e-3)))
    (local.set $q (f64.add (f64.mul (local.get $x2) (f64.const 1.19825839466702e-6)) (f64.const 1.18534705686654e-4)))
    (local.set $q (f64.add (f64.mul (local.get $x2) (local.get $q)) (f64.const 2.268434632439e-3)))
    (local.set $q (f64.add (f64.mul (local.get $x2) (local.get $q)) (f64.const 4.89352518554385e-3)))
    (f64.div (f64.mul (local.get $x) (local.get $p)) (local.get $q)))

  ;; output = act(bias + input · kernel), eight outputs per pass over the input (four f64x2 sums).
  ;; Pointers are byte offsets; outPad is a multiple of 8; activation 1 = tanh, 0 = none.
  (func (export "dense")
    (param $input i32) (param $inSize i32) (param $kernel i32) (param $bias i32)
    (param $output i32) (param $outSize i32) (param $outPad i32) (param $activation i32)
    (local $j i32) (local $i i32) (local $w i32) (local $x i32) (local $stride i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $xs v128)
    (local $a v128) (local $b v128) (local $x2a v128) (local $x2b v128)
    (local $pa v128) (local $pb v128) (local $qa v128) (local $qb v128)
    (local.set $stride (i32.shl (local.get $outPad) (i32.const 3)))
    (block $done_blocks
      (loop $blocks
        (br_if $done_blocks (i32.ge_u (local.get $j) (local.get $outPad)))
        (local.set $w (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $s0 (v128.load offset=0 (local.get $w)))
        (local.set $s1 (v128.load offset=16 (local.get $w)))
        (local.set $s2 (v128.load offset=32 (local.get $w)))
        (local.set $s3 (v128.load offset=48 (local.get $w)))
        (local.set $w (i32.add (local.get $kernel) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $x (local.get $input))
        (local.set $i (i32.const 0))
        (block $done_inputs
          (loop $inputs
            (br_if $done_inputs (i32.ge_u (local.get $i) (local.get $inSize)))
            (local.set $xs (f64x2.splat (f64.load (local.get $x))))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $xs) (v128.load offset=0 (local.get $w)))))
            (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $xs) (v128.load offset=16 (local.get $w)))))
            (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $xs) (v128.load offset=32 (local.get $w)))))
            (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $xs) (v128.load offset=48 (local.get $w)))))
            (local.set $w (i32.add (local.get $w) (local.get $stride)))
            (local.set $x (i32.add (local.get $x) (i32.const 8)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $inputs)))
        (local.set $w (i32.add (local.get $output) (i32.shl (local.get $j) (i32.const 3))))
        (v128.store offset=0 (local.get $w) (local.get $s0))
        (v128.store offset=16 (local.get $w) (local.get $s1))
        (v128.store offset=32 (local.get $w) (local.get $s2))
        (v128.store offset=48 (local.get $w) (local.get $s3))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $blocks)))
    ;; tanh four outputs at a time (two f64x2 chains, each the scalar $tanh's rational fit lane by
    ;; lane); a group with any lane outside the fit's branch (|x| > 7.905 or |x| < 0.0004, rare)
    ;; goes through the scalar $tanh, so every output is exactly what $tanh gives. Lanes past
    ;; outSize are padding (outPad is a multiple of 8): computed, never read.
    (if (local.get $activation)
      (then
        (local.set $j (i32.const 0))
        (local.set $w (local.get $output))
        (block $done_tanh
          (loop $tanh_each
            (br_if $done_tanh (i32.ge_u (local.get $j) (local.get $outSize)))
            (local.set $a (v128.load offset=0 (local.get $w)))
            (local.set $b (v128.load offset=16 (local.get $w)))
            (if (v128.any_true (v128.or (call $outside_fit (local.get $a)) (call $outside_fit (local.get $b))))
              (then
                (f64.store offset=0 (local.get $w) (call $tanh (f64.load offset=0 (local.get $w))))
                (f64.store offset=8 (local.get $w) (call $tanh (f64.load offset=8 (local.get $w))))
                (f64.store offset=16 (local.get $w) (call $tanh (f64.load offset=16 (local.get $w))))
                (f64.store offset=24 (local.get $w) (call $tanh (f64.load offset=24 (local.get $w)))))
              (else
                  (local.set $x2a (f64x2.mul (local.get $a) (local.get $a)))
                  (local.set $x2b (f64x2.mul (local.get $b) (local.get $b)))
                  (local.set $pa (f64x2.add (f64x2.mul (local.get $x2a) (v128.const f64x2 -2.76076847742355e-16 -2.76076847742355e-16)) (v128.const f64x2 2.00018790482477e-13 2.00018790482477e-13)))
                  (local.set $pb (f64x2.add (f64x2.mul (local.get $x2b) (v128.const f64x2 -2.76076847742355e-16 -2.76076847742355e-16)) (v128.const f64x2 2.00018790482477e-13 2.00018790482477e-13)))
                  (local.set $pa (f64x2.add (f64x2.mul (local.get $x2a) (local.get $pa)) (v128.const f64x2 -8.60467152213735e-11 -8.60467152213735e-11)))
                  (local.set $pb (f64x2.add (f64x2.mul (local.get $x2b) (local.get $pb)) (v128.const f64x2 -8.60467152213735e-11 -8.60467152213735e-11)))
                  (local.set $pa (f64x2.add (f64x2.mul (local.get $x2a) (local.get $pa)) (v128.const f64x2 5.12229709037114e-8 5.12229709037114e-8)))
                  (local.set $pb (f64x2.add (f64x2.mul (local.get $x2b) (local.get $pb)) (v128.const f64x2 5.12229709037114e-8 5.12229709037114e-8)))
                  (local.set $pa (f64x2.add (f64x2.mul (local.get $x2a) (local.get $pa)) (v128.const f64x2 1.48572235717979e-5 1.48572235717979e-5)))
                  (local.set $pb (f64x2.add (f64x2.mul (local.get $x2b) (local.get $pb)) (v128.const f64x2 1.48572235717979e-5 1.48572235717979e-5)))
                  (local.set $pa (f64x2.add (f64x2.mul (local.get $x2a) (local.get $pa)) (v128.const f64x2 6.37261928875436e-4 6.37261928875436e-4)))
                  (local.set $pb (f64x2.add (f64x2.mul (local.get $x2b) (local.get $pb)) (v128.const f64x2 6.37261928875436e-4 6.37261928875436e-4)))
                  (local.set $pa (f64x2.add (f64x2.mul (local.get $x2a) (local.get $pa)) (v128.const f64x2 4.89352455891786e-3 4.89352455891786e-3)))
                  (local.set $pb (f64x2.add (f64x2.mul (local.get $x2b) (local.get $pb)) (v128.const f64x2 4.89352455891786e-3 4.89352455891786e-3)))
                  (local.set $qa (f64x2.add (f64x2.mul (local.get $x2a) (v128.const f64x2 1.19825839466702e-6 1.19825839466702e-6)) (v128.const f64x2 1.18534705686654e-4 1.18534705686654e-4)))
                  (local.set $qb (f64x2.add (f64x2.mul (local.get $x2b) (v128.const f64x2 1.19825839466702e-6 1.19825839466702e-6)) (v128.const f64x2 1.18534705686654e-4 1.18534705686654e-4)))
                  (local.set $qa (f64x2.add (f64x2.mul (local.get $x2a) (local.get $qa)) (v128.const f64x2 2.268434632439e-3 2.268434632439e-3)))
                  (local.set $qb (f64x2.add (f64x2.mul (local.get $x2b) (local.get $qb)) (v128.const f64x2 2.268434632439e-3 2.268434632439e-3)))
                  (local.set $qa (f64x2.add (f64x2.mul (local.get $x2a) (local.get $qa)) (v128.const f64x2 4.89352518554385e-3 4.89352518554385e-3)))
                  (local.set $qb (f64x2.add (f64x2.mul (local.get $x2b) (local.get $qb)) (v128.const f64x2 4.89352518554385e-3 4.89352518554385e-3)))
                  (v128.store offset=0 (local.get $w)
                    (f64x2.div (f64x2.mul (local.get $a) (local.get $pa)) (local.get $qa)))
                  (v128.store offset=16 (local.get $w)
                    (f64x2.div (f64x2.mul (local.get $b) (local.get $pb)) (local.get $qb)))))
            (local.set $w (i32.add (local.get $w) (i32.const 32)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $tanh_each))))))

  ;; All ones in the lanes where $tanh leaves the rational fit: |x| > 7.905… or |x| < 0.0004.
  (func $outside_fit (param $x v128) (result v128)
    (local $abs v128)
    (local.set $abs (f64x2.abs (local.get $x)))
    (v128.or (f64x2.gt (local.get $abs) (v128.const f64x2 7.90531110763549805 7.90531110763549805))
             (f64x2.lt (local.get $abs) (v128.const f64x2 0.0004 0.0004))))
)
