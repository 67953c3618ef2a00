/* A stand-in bcryptprimitives.dll for Wine 8.0 (Debian bookworm), which has
 * none: Rust's std (1.78 and later) imports ProcessPrng from it, so without
 * it every Rust exe fails to start (exit 53, no output). ProcessPrng here is
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has.
 *
 * .ci/windows.sh builds it with x86_64-w64-mingw32-gcc into the Wine prefix
 * under target/ that the tests use. It is test scaffolding only: it never
 * goes into a release, and a real Windows (8 and later) has its own. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
