/* sig_vectors.h — fixtures for sig_test.c, made with openssl 3 (dgst -sign); message "keel signs this". */
static const char p256_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2ygxlx4AMExpRGdtnPFuGzWuovDc\n"
	"KVE0uMew3zLxvLCXAJh5uiDqtQ+e3kkFHgLtdP6Q/xLPjnkm3VigVEAP0w==\n"
	"-----END PUBLIC KEY-----\n";

static const char p384_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEOL1Qz+1S0xPoW5oZPiT7SbztC4Vt/sTa\n"
	"+qfca7Zi0EFGPW2faGOxKr916tbAGE/QsTuwl09D84dueymjCGiPNvjPtBS97CsH\n"
	"5MHQ0wrrVv7hXNIJyoHmClPf2+FLxc7I\n"
	"-----END PUBLIC KEY-----\n";

static const char p521_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQA118FI/Bt4Y4Hd3K3FRwdsIFThqIq\n"
	"+GfL2wgmeIEvueMdqRFDgOPuvbHojFnaq69qYEj2iAnS+1cxXUYvGG9lduMA+dZ8\n"
	"ews+IEmH1jlFnP09jjkMuVq/mJVfmyuWvmGLBm4HCqV5ZtJ7s/vgzxIbejqUD4yB\n"
	"nlIxa1PVn8e+XMCmehY=\n"
	"-----END PUBLIC KEY-----\n";

static const char rsa_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxxAy5Xr8NCEK6vmIdj8x\n"
	"T6gLBfSAKjTYXxHt5mOw1HP2covJ8ZDEWscz+xyV79VkGNrXzpjexJkGLMGhbUss\n"
	"jUPDLoiDFwfPn4BTKRTRZYAj2kPA0IOpiJXUTr6SMLTCyJM7cOFWfoPT+q/y2nXa\n"
	"yFFrm3HH8t6tBCMuHmsuLP/ldrMbr5v5yvr+ofpjUcHHrDCPpcQVUFaBSy4Qy+ae\n"
	"I5m2if+fmr9sai89EUeUusB6DA/0Mn7A3hH0iRXoxX9lUMRudvP1mKRcUu+eZ/M8\n"
	"skWrSDWRnYL73fzin5g6SJrKBcVAB7vigJQy9ly1RJhaJKBkiKgpZdIZ7cE6GhCI\n"
	"EQIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

static const char rsa1k_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDV6y0Z6TZSrIq97n5+XxCbOam1\n"
	"KFQB+5Q6552LS92DyOfWAqphPOotTo6t8GxCudX+DjB2oIIGcWmXE49xr87lmjVf\n"
	"SQTKfzaUZv5SNqto0hImyBimJYyx6sNeZmZohcRecD8da22zd1T+d9p3nhexrs2G\n"
	"6IJXnc0hI5/ejI0CIwIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

static const char p256_priv[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIBGmCez8rEKAf13BudgnAk8YdGfZamm0eJ90N/n0ddZ9oAoGCCqGSM49\n"
	"AwEHoUQDQgAE2ygxlx4AMExpRGdtnPFuGzWuovDcKVE0uMew3zLxvLCXAJh5uiDq\n"
	"tQ+e3kkFHgLtdP6Q/xLPjnkm3VigVEAP0w==\n"
	"-----END EC PRIVATE KEY-----\n";

static const char rsa_der_hex[] =
	"30820122300d06092a864886f70d01010105000382010f003082010a0282010100c71032e57afc34210aeaf988763f31"
	"4fa80b05f4802a34d85f11ede663b0d473f6728bc9f190c45ac733fb1c95efd56418dad7ce98dec499062cc1a16d4b2c"
	"8d43c32e88831707cf9f80532914d1658023da43c0d083a98895d44ebe9230b4c2c8933b70e1567e83d3faaff2da75da"
	"c8516b9b71c7f2dead04232e1e6b2e2cffe576b31baf9bf9cafafea1fa6351c1c7ac308fa5c4155056814b2e10cbe69e"
	"2399b689ff9f9abf6c6a2f3d114794bac07a0c0ff4327ec0de11f48915e8c57f6550c46e76f3f598a45c52ef9e67f33c"
	"b245ab4835919d82fbddfce29f983a489aca05c54007bbe2809432f65cb544985a24a06488a82965d219edc13a1a1088"
	"110203010001";

static const char p256_sig_hex[] =
	"304602210097da43802f792b8425b28f2a6749ea29b6d181f7bb59b076ae29d52af0fb1aa8022100b728bf0da0718302"
	"d8a7dcd649c95a75df7b60357aece92dd4b859a408fa3c4f";

/* another openssl signature with the same key and message: r without a sign byte, s of 31 bytes
 * (minimal DER with no padding at all) */
static const char p256_sig_short_hex[] =
	"3043022041ebf881782a84d0235104fa1fa9eabe994ad23768256748f60b67e5f33e76ed021f2c975d15b38fbde21cda"
	"665384ddb8d6290295070c4e032431e4f51a123ccd";

static const char p384_sig_hex[] =
	"3066023100f3d43faf1d54cb668d2c0469d189790ef56d0199d64a33a80a8cdbf7f8b2b176a3b2b50cfc09c229875a8b"
	"5be62d00df02310093e0babc931a6e81664183233361b3ca1a27f862c61516103553441d9395ae7be2b7df20a216aebe"
	"530f8484da0d1ea6";

static const char rsa_sig_hex[] =
	"bd420011b5b214b40780942b5a71702cc6a1300c5d37d1f4b7375326cdccbc4f4e7061988524422038a496ac30ce8b87"
	"5cd0fa5f5702e084e9a8a711e903631251b712e604fe047599f01113f4a6eb7813e063bcdb20b99e456d35dd5e8ab765"
	"98da1591f4c7aabdbbf354f001c4e0c809226e929bedbd8fbdbbf036b602b280891ac7205d55067f383198ab17db3c5c"
	"d2278069a8712608da52febdf6076d7b8a916c8adae1b00fb560b9e972b34463c2d20e16dd0c04d308366305ed0450bc"
	"b2145e28ef2586d3591eafaff952e28a64ff8d55a29ca90d79073dc21259fad9efaa6a1bd1f3f57b0190e59d774af3af"
	"33ab249477823028423a95ee2f2eb148";

static const char pss_sig_hex[] =
	"5ac06c212f563d021bc0cade5f96200819f3916b8517c94b28d50a470955c6f6a6e1e9656e994dabdab467228ae46b59"
	"89b5f9fa6fb6e02fe354d4202382d284a5fbe7ce3ea907325de8e748280b753bb33641b461978675f5179eacf42704b5"
	"6473ecccff35581666d5b49915aeffbd4acedd60266d49f01b2d456c36d05df1aa8ff7ab97840cf58b3969403706641d"
	"d430c4b7acb74ce6a5a0b10c489937dd95022112e9b6ddd830521a92c35d2dd6f6e6e13c8fe98a94cfd07df4f8f8454d"
	"8be758e9478b4dc729f086d09fd4579fcb9e2752f7c11abaa545034d483c88d363fa4f596d54054ac5c7266d6d1ce817"
	"f23fb52ac1a91e91f3b8497f3a1223c3";

static const char p256_id_hex[] = "6ad448adce342fb37efc20a1d6e51ca824402604f3d5fdba3e3dc343469a45e1";
