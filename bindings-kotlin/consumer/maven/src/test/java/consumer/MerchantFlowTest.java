package consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import wxface.AuthinfoParams;
import wxface.AuthinfoResponse;
import wxface.JavaClientStats;
import wxface.MerchantClient;
import wxface.MerchantClientBuilder;
import wxface.MerchantJava;
import wxface.WxfaceKt;

/** The merchant side against the sandbox, with the installed jar only. */
class MerchantFlowTest {
    private static final String SANDBOX = System.getProperty("wxface.sandbox");
    private static final Path KEYS = Path.of(System.getProperty("wxface.keys"));

    private static String http(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(SANDBOX + path));
        if (body == null) {
            req.GET();
        } else {
            req.header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> res = HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, res.statusCode(), path + ": " + res.body());
        return res.body();
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), "no " + name);
        return m.group(1);
    }

    static String file(String name) throws IOException {
        return Files.readString(KEYS.resolve(name)).trim();
    }

    /** A merchant client configured from the sandbox's key set and its control API. */
    static MerchantClient client() throws Exception {
        String info = http("GET", "/_sandbox/info", null);
        MerchantClientBuilder b = new MerchantClientBuilder()
                .appid(field(info, "appid"))
                .mchId(field(info, "mch_id"))
                .apiKey(file("apiv2_key.txt"))
                .merchantKeyPem(file("apiclient_key.pem"), field(info, "merchant_serial"))
                .platformPublicKey(field(info, "pub_key_id"), file("pub_key.pem"))
                .apiv3Key(file("apiv3_key.txt"))
                .store("store-1", "Outpatient hall")
                .baseUrl(SANDBOX);
        return MerchantJava.timeoutMs(b, 5_000L).build();
    }

    @Test
    void authinfoForTheEmulatorsRawdata() throws Exception {
        assertNull(System.getProperty("jna.library.path"), "the natives must come from the jar");
        String rawdata = field(http("POST", "/_emu/rawdata", "{\"device_id\":\"kiosk-1\"}"), "rawdata");
        try (MerchantClient client = client()) {
            AuthinfoParams params = new AuthinfoParams(rawdata, "kiosk-1", null, null, null);
            AuthinfoResponse first = client.getAuthinfo(params);
            assertFalse(first.getAuthinfo().isEmpty());
            assertFalse(first.getFromCache());
            assertTrue(MerchantJava.expiresIn(first) > 0);
            assertTrue(client.getAuthinfo(params).getFromCache(), "the second answer comes from the cache");
            JavaClientStats stats = MerchantJava.stats(client);
            assertEquals(2L, stats.getCalls());
            assertEquals(1L, stats.getCacheHits());
        }
    }

    @Test
    void masking() {
        assertEquals("张*三", WxfaceKt.maskName("张小三"));
        assertEquals("110***********1234", WxfaceKt.maskCredentialId("110101199001011234"));
    }
}
