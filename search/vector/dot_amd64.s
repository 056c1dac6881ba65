//go:build amd64 && !purego

#include "textflag.h"

// DOTBODY computes the dot product of the int16 query at DI with the int8
// vector at SI over CX values into BX. Clobbers AX, R9, R10, R11, R12, Y0-Y3.
#define DOTBODY \
	VPXOR Y0, Y0, Y0 \
	VPXOR Y1, Y1, Y1 \
	XORQ  AX, AX \
	MOVQ  CX, R9 \
	ANDQ  $~31, R9 \
	JZ    tail16 \
loop32: \
	VPMOVSXBW (SI)(AX*1), Y2 \
	VPMOVSXBW 16(SI)(AX*1), Y3 \
	VPMADDWD  (DI)(AX*2), Y2, Y2 \
	VPMADDWD  32(DI)(AX*2), Y3, Y3 \
	VPADDD    Y2, Y0, Y0 \
	VPADDD    Y3, Y1, Y1 \
	ADDQ      $32, AX \
	CMPQ      AX, R9 \
	JLT       loop32 \
tail16: \
	MOVQ CX, R10 \
	ANDQ $~15, R10 \
	CMPQ AX, R10 \
	JGE  hsum \
	VPMOVSXBW (SI)(AX*1), Y2 \
	VPMADDWD  (DI)(AX*2), Y2, Y2 \
	VPADDD    Y2, Y0, Y0 \
	ADDQ      $16, AX \
hsum: \
	VPADDD       Y1, Y0, Y0 \
	VEXTRACTI128 $1, Y0, X1 \
	VPADDD       X1, X0, X0 \
	VPSHUFD      $0x4E, X0, X1 \
	VPADDD       X1, X0, X0 \
	VPSHUFD      $0xB1, X0, X1 \
	VPADDD       X1, X0, X0 \
	VMOVD        X0, BX \
scalar: \
	CMPQ    AX, CX \
	JGE     done \
	MOVBQSX (SI)(AX*1), R11 \
	MOVWQSX (DI)(AX*2), R12 \
	IMULQ   R12, R11 \
	ADDL    R11, BX \
	INCQ    AX \
	JMP     scalar \
done:

// func dotsInt8AVX2(q *int16, data *int8, n, dim int, out *int32)
TEXT ·dotsInt8AVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), DI
	MOVQ data+8(FP), SI
	MOVQ n+16(FP), R13
	MOVQ dim+24(FP), CX
	MOVQ out+32(FP), R8
	XORQ R14, R14

vec:
	DOTBODY
	MOVL BX, (R8)(R14*4)
	ADDQ CX, SI
	INCQ R14
	CMPQ R14, R13
	JLT  vec
	VZEROUPPER
	RET

// func dotsInt8GatherAVX2(q *int16, data *int8, idx *uint32, n, dim int, out *int32)
TEXT ·dotsInt8GatherAVX2(SB), NOSPLIT, $0-48
	MOVQ q+0(FP), DI
	MOVQ data+8(FP), DX
	MOVQ idx+16(FP), R15
	MOVQ n+24(FP), R13
	MOVQ dim+32(FP), CX
	MOVQ out+40(FP), R8
	XORQ R14, R14

	// Prefetch the first 16 vectors.
	XORQ BX, BX
pfinit:
	CMPQ BX, R13
	JGE  gvec
	CMPQ BX, $16
	JGE  gvec
	MOVL (R15)(BX*4), SI
	IMULQ CX, SI
	ADDQ DX, SI
	XORQ AX, AX
pf0:
	PREFETCHT0 (SI)(AX*1)
	ADDQ $64, AX
	CMPQ AX, CX
	JLT  pf0
	INCQ BX
	JMP  pfinit

gvec:
	// Prefetch vector i+16 while computing vector i. Slots are sparse, so
	// the hardware prefetcher cannot follow them; one vector ahead hid too
	// little of the memory latency (a scan of 313k of 1M slots took 15 ms,
	// 10.5 ms with this).
	LEAQ 16(R14), AX
	CMPQ AX, R13
	JGE  nopf
	MOVL (R15)(AX*4), SI
	IMULQ CX, SI
	ADDQ DX, SI
	XORQ AX, AX
pf1:
	PREFETCHT0 (SI)(AX*1)
	ADDQ $64, AX
	CMPQ AX, CX
	JLT  pf1
nopf:
	MOVL (R15)(R14*4), SI
	IMULQ CX, SI
	ADDQ DX, SI
	DOTBODY
	MOVL BX, (R8)(R14*4)
	INCQ R14
	CMPQ R14, R13
	JLT  gvec
	VZEROUPPER
	RET

// func widenAVX2(dst *int16, src *int8, n int)
// n is a multiple of 16.
TEXT ·widenAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	TESTQ CX, CX
	JZ   wdone
wloop:
	VPMOVSXBW (SI)(AX*1), Y0
	VMOVDQU   Y0, (DI)(AX*2)
	ADDQ      $16, AX
	CMPQ      AX, CX
	JLT       wloop
	VZEROUPPER
wdone:
	RET
