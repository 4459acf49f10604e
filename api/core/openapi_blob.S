/* Embeds api/core/openapi.json as api_openapi_start..api_openapi_end. */
    .section .rodata
    .global api_openapi_start
    .global api_openapi_end
api_openapi_start:
    .incbin OPENAPI_JSON
api_openapi_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
