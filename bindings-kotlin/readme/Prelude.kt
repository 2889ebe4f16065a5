// The names README.md's Kotlin examples take from their surroundings (an
// Android activity, a hospital's server): declared here so that test.sh can
// compile every example, each as the body of its own function. Never run.
@file:Suppress("unused", "UNUSED_PARAMETER", "FunctionName")

package readme

import wxface.Decryptor
import wxface.FaceSdk
import wxface.Kiosk
import wxface.MerchantClient
import wxface.VerifyListener

val context: Any get() = TODO()
val client: MerchantClient get() = TODO()
val decryptor: Decryptor get() = TODO()
val kiosk: Kiosk get() = TODO()
val listener: VerifyListener get() = TODO()
val faceSid: String get() = TODO()
val providerAppid: String get() = TODO()
val providerMchId: String get() = TODO()
val hospitalMchId: String get() = TODO()
val hospitalCertificateSerial: String get() = TODO()
val hospitalAppid: String get() = TODO()
val v2Key: String get() = TODO()
val providerKeyPem: String get() = TODO()
val providerSerial: String get() = TODO()
val pubKeyId: String get() = TODO()
val platformPublicKeyPem: String get() = TODO()
val hospitalKeyPem: String get() = TODO()
val received: String get() = TODO()

object DeviceCredentials {
    fun load(context: Any): String? = TODO()
}

fun WxPayFaceAdapter(context: Any): FaceSdk = TODO()
fun showProvisioningScreen() {}
fun show(what: Any?) {}
fun welcomeBack(who: Any?) {}
fun declined() {}
fun idle() {}
fun report(step: Any?, code: Any?) {}
fun send(json: String) {}
