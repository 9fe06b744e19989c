;; CSV record boundaries of one block, 64 bytes per step with WebAssembly SIMD (the way simdjson
;; finds strings): compare 64 bytes against '"' and '\n' into two 64-bit masks, turn the quote mask
;; into an inside-quotes mask by a prefix XOR (bit i = odd number of quotes at or before byte i),
;; and count newlines with popcnt where that mask is clear. The carry between steps is the
;; inside-quotes state of the last byte, all ones or zero.
;;
;; count(ptr, len, inside): the block [ptr, ptr + len) of this module's memory, starting inside
;; quotes when `inside` is 1. Writes three u32 at 0, 4, 8: newlines outside quotes, all newlines,
;; quotes. Compiled by `npm run build:wasm` into csv-count-wasm.ts (a test checks the two agree).
(module
  (memory (export "memory") 17)
  (func $mask (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result i64)
    (i64.or
      (i64.extend_i32_u
        (i32.or (i8x16.bitmask (local.get $a)) (i32.shl (i8x16.bitmask (local.get $b)) (i32.const 16))))
      (i64.shl
        (i64.extend_i32_u
          (i32.or (i8x16.bitmask (local.get $c)) (i32.shl (i8x16.bitmask (local.get $d)) (i32.const 16))))
        (i64.const 32))))
  (func (export "count") (param $p i32) (param $len i32) (param $inside i32)
    (local $end i32) (local $end64 i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $quote v128) (local $newline v128)
    (local $q i64) (local $n i64) (local $x i64) (local $carry i64)
    (local $outside i64) (local $newlines i64) (local $quotes i64)
    (local $in i32) (local $byte i32)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (local.set $end64 (i32.add (local.get $p) (i32.and (local.get $len) (i32.const -64))))
    (local.set $carry (i64.sub (i64.const 0) (i64.extend_i32_u (i32.and (local.get $inside) (i32.const 1)))))
    (local.set $quote (i8x16.splat (i32.const 34)))
    (local.set $newline (i8x16.splat (i32.const 10)))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $p) (local.get $end64)))
        (local.set $v0 (v128.load offset=0 (local.get $p)))
        (local.set $v1 (v128.load offset=16 (local.get $p)))
        (local.set $v2 (v128.load offset=32 (local.get $p)))
        (local.set $v3 (v128.load offset=48 (local.get $p)))
        (local.set $q (call $mask
          (i8x16.eq (local.get $v0) (local.get $quote)) (i8x16.eq (local.get $v1) (local.get $quote))
          (i8x16.eq (local.get $v2) (local.get $quote)) (i8x16.eq (local.get $v3) (local.get $quote))))
        (local.set $n (call $mask
          (i8x16.eq (local.get $v0) (local.get $newline)) (i8x16.eq (local.get $v1) (local.get $newline))
          (i8x16.eq (local.get $v2) (local.get $newline)) (i8x16.eq (local.get $v3) (local.get $newline))))
        ;; prefix XOR: bit i becomes the XOR of bits 0..i
        (local.set $x (local.get $q))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 1))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 2))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 4))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 8))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 16))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 32))))
        (local.set $x (i64.xor (local.get $x) (local.get $carry)))
        (local.set $carry (i64.shr_s (local.get $x) (i64.const 63)))
        (local.set $outside (i64.add (local.get $outside)
          (i64.popcnt (i64.and (local.get $n) (i64.xor (local.get $x) (i64.const -1))))))
        (local.set $newlines (i64.add (local.get $newlines) (i64.popcnt (local.get $n))))
        (local.set $quotes (i64.add (local.get $quotes) (i64.popcnt (local.get $q))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $step)))
    ;; the last len % 64 bytes, one at a time
    (local.set $in (i32.wrap_i64 (i64.and (local.get $carry) (i64.const 1))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $byte (i32.load8_u (local.get $p)))
        (if (i32.eq (local.get $byte) (i32.const 34))
          (then
            (local.set $in (i32.xor (local.get $in) (i32.const 1)))
            (local.set $quotes (i64.add (local.get $quotes) (i64.const 1)))))
        (if (i32.eq (local.get $byte) (i32.const 10))
          (then
            (local.set $newlines (i64.add (local.get $newlines) (i64.const 1)))
            (if (i32.eqz (local.get $in))
              (then (local.set $outside (i64.add (local.get $outside) (i64.const 1)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail)))
    (i32.store offset=0 (i32.const 0) (i32.wrap_i64 (local.get $outside)))
    (i32.store offset=4 (i32.const 0) (i32.wrap_i64 (local.get $newlines)))
    (i32.store offset=8 (i32.const 0) (i32.wrap_i64 (local.get $quotes)))))
