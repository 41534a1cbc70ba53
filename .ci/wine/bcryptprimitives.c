/* A stand-in for Windows' bcryptprimitives.dll, for running the Windows test
 * binaries under Wine 8.0, which lacks it. Rust's standard library (1.78 on) takes
 * its random numbers (HashMap keys, ...) from ProcessPrng in that DLL and links it
 * by name, so without it no Rust program starts under that Wine.
 *
 * ProcessPrng here fills the buffer from RtlGenRandom (advapi32's SystemFunction036,
 * which Wine implements), in chunks of at most ULONG_MAX bytes. Built by .ci/run with
 * MinGW for the Wine phase only; nothing of it ships. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0xFFFFFFFFu ? 0xFFFFFFFFu : (ULONG) length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
