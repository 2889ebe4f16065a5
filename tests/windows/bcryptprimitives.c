/*
 * bcryptprimitives.dll for Wine 8, which lacks it: only ProcessPrng, the one
 * function Rust's standard library (1.78 and later) imports from it, over
 * RtlGenRandom. Windows 10 has the real DLL; scripts/windows.sh copies this
 * one into a Wine prefix only when the prefix has none.
 */
#include <windows.h>

#define RtlGenRandom SystemFunction036
BOOLEAN WINAPI RtlGenRandom(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
