// A plain Java program on the installed jar (javac and java, no build tool, no
// jna.library.path): the Java surface has no unsigned types and needs no
// Kotlin default arguments. Arguments: the sandbox's URL and its keys directory.
import java.nio.file.Files;
import java.nio.file.Path;
import wxface.AuthinfoParams;
import wxface.AuthinfoResponse;
import wxface.JavaClientStats;
import wxface.MerchantClient;
import wxface.MerchantClientBuilder;
import wxface.MerchantJava;
import wxface.WxfaceException;
import wxface.WxfaceKt;

public final class PlainJava {
    private PlainJava() {}

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("FAILED: " + what);
            System.exit(1);
        }
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        Path keys = Path.of(args[1]);
        String json = Files.readString(keys.resolve("sandbox.json"));
        MerchantClientBuilder builder = new MerchantClientBuilder()
                .appid(value(json, "appid"))
                .mchId(value(json, "mch_id"))
                .apiKey(Files.readString(keys.resolve("apiv2_key.txt")).trim())
                .merchantKeyPem(Files.readString(keys.resolve("apiclient_key.pem")), value(json, "merchant_serial"))
                .platformPublicKey(value(json, "pub_key_id"), Files.readString(keys.resolve("pub_key.pem")))
                .apiv3Key(Files.readString(keys.resolve("apiv3_key.txt")).trim())
                .store("store-1", "Outpatient hall")
                .baseUrl(url);
        try (MerchantClient client = MerchantJava.connectTimeoutMs(MerchantJava.timeoutMs(builder, 5_000L), 2_000L).build()) {
            // rawdata the sandbox does not know: WeChat Pay's error, as a WxfaceException.
            try {
                client.getAuthinfo(new AuthinfoParams("not-rawdata", "kiosk-2", null, null, null));
                check(false, "unknown rawdata was accepted");
            } catch (WxfaceException e) {
                System.out.println("refused as expected: " + e.getClass().getSimpleName());
            }
            JavaClientStats stats = MerchantJava.stats(client);
            long calls = stats.getCalls();
            long requests = stats.getHttpRequests();
            check(calls == 1 && requests >= 1, "stats " + stats);
            System.out.println("plain Java: " + calls + " call(s), " + requests + " request(s)");
        }
        check(WxfaceKt.maskName("张小三").equals("张*三"), "maskName");
        AuthinfoResponse none = null;
        check(none == null, "types resolve");
    }

    private static String value(String json, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        check(m.find(), "no " + name + " in sandbox.json");
        return m.group(1);
    }
}
