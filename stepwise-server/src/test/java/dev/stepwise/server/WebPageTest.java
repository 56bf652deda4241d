package dev.stepwise.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in headless Chromium (Debian's chromium and chromium-driver, driven by Selenium): menus from the
 * catalogue, a generate run with its progress, the image with its infotext, a job loaded back from the list; then
 * generate, send to compare, the run's cells filling in, scoring with the keyboard and the score in the report; an
 * img2img run.
 * Screenshots go to target/screenshots. Skips, saying why, where no browser is installed.
 */
class WebPageTest {
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("STEPWISE_CHROMIUM", "/usr/bin/chromium"));
    private static final Path DRIVER = Path.of(System.getenv().getOrDefault("STEPWISE_CHROMEDRIVER", "/usr/bin/chromedriver"));

    @TempDir
    static Path data;
    static StepwiseServer server;
    static WebDriver browser;

    @BeforeAll
    static void start() throws IOException {
        String missing = "WebPageTest skipped, no browser: " + CHROMIUM + " and " + DRIVER + " are needed for the browser"
                + " tests (Debian: apt-get install chromium chromium-driver; .ci/run installs them on CI)";
        boolean found = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
        if (!found) {
            System.err.println(missing);   // said in the build's output, not only in the report files
        }
        Assumptions.assumeTrue(found, missing);
        server = StepwiseServer.start(ServerConfig.defaults(Http.fixtures(), data).withPort(0));
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Types {@code text} into the input {@code id}, in place of what it held. */
    private static WebElement fill(String id, String text) {
        WebElement e = browser.findElement(By.id(id));
        e.clear();
        e.sendKeys(text);
        return e;
    }

    private static void screenshot(String name) throws IOException {
        Path dir = Path.of("target", "screenshots");
        Files.createDirectories(dir);
        Files.write(dir.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void generateFromThePage() throws IOException {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        browser.get(server.url());
        try {
            wait.until(d -> d.findElements(By.cssSelector("#sampler option")).size() > 10);
        } catch (org.openqa.selenium.TimeoutException e) {
            screenshot("menus-missing");
            throw new AssertionError("the menus did not fill: " + browser.getCurrentUrl() + " " + browser.getPageSource());
        }
        Select sampler = new Select(browser.findElement(By.id("sampler")));
        assertEquals("dpmpp_2m", sampler.getFirstSelectedOption().getAttribute("value"));
        assertEquals("order 2, 1 calls/step, converging", browser.findElement(By.id("sampler-facts")).getText());
        sampler.selectByValue("euler_ancestral");
        assertEquals("order 1, 1 calls/step, stochastic", browser.findElement(By.id("sampler-facts")).getText());
        new Select(browser.findElement(By.id("model"))).selectByValue("tiny-eps");
        assertTrue(browser.findElement(By.id("size")).getText().startsWith("28x28 images"));
        browser.findElement(By.id("prompt")).sendKeys("sneaker");
        WebElement steps = fill("steps", "6");
        fill("seed", "42");
        screenshot("generate-form");
        browser.findElement(By.id("go")).click();
        wait.until(d -> d.findElement(By.id("status")).getText().startsWith("done"));
        assertEquals("done: seed 42", browser.findElement(By.id("status")).getText());
        List<WebElement> captions = browser.findElements(By.cssSelector("#images figcaption"));
        assertEquals(1, captions.size());
        assertTrue(captions.get(0).getText().startsWith("sneaker\nSteps: 6, Sampler: euler_ancestral, Schedule type: karras,"
                + " CFG scale: 3, Seed: 42, Size: 28x28, Model: tiny-eps"), captions.get(0).getText());
        WebElement img = browser.findElement(By.cssSelector("#images img"));
        wait.until(d -> Boolean.TRUE.equals(((org.openqa.selenium.JavascriptExecutor) d)
                .executeScript("return arguments[0].complete && arguments[0].naturalWidth === 28", img)));
        screenshot("generate-done");

        // A bad value shows the server's message (0 would be stopped by the form's own min="1").
        fill("steps", "5000");
        browser.findElement(By.id("go")).click();
        wait.until(d -> d.findElement(By.id("status")).getText().startsWith("steps:"));
        assertTrue(browser.findElement(By.id("status")).getText().contains("steps 5000 is over the limit of 1000 steps"));

        // The recent job loads back into the form.
        steps.clear();
        browser.findElement(By.cssSelector("a[href='#browse']")).click();
        wait.until(d -> !d.findElements(By.cssSelector("#jobs tbody tr button")).isEmpty());
        browser.findElement(By.cssSelector("#jobs tbody tr button")).click();
        assertEquals("6", browser.findElement(By.id("steps")).getAttribute("value"));
        assertEquals("euler_ancestral", new Select(browser.findElement(By.id("sampler"))).getFirstSelectedOption()
                .getAttribute("value"));
        screenshot("browse");
    }

    /**
     * img2img from the Generate tab: an init image file, denoise and resize mode, sent to the native API. The page's
     * image is the one the API makes for the same fields sent directly.
     */
    @Test
    void img2imgFromThePage(@TempDir Path dir) throws IOException {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
        browser.get(server.url() + "#generate");
        wait.until(d -> d.findElements(By.cssSelector("#sampler option")).size() > 10);
        // Twice as wide as the model's images, so that "crop and resize" and "just resize" differ.
        BufferedImage wide = new BufferedImage(56, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 56; x++) {
                wide.getRaster().setSample(x, y, 0, x < 28 ? 255 - 4 * y : 8 * (x - 28));
            }
        }
        Path file = dir.resolve("init.png");
        ImageIO.write(wide, "png", file.toFile());
        new Select(browser.findElement(By.id("model"))).selectByValue("tiny-eps");
        new Select(browser.findElement(By.id("sampler"))).selectByValue("euler");
        new Select(browser.findElement(By.id("scheduler"))).selectByValue("karras");
        fill("prompt", "bag");
        fill("steps", "4");
        fill("seed", "5");
        browser.findElement(By.id("init-image")).sendKeys(file.toAbsolutePath().toString());
        fill("denoise", "0.5");
        new Select(browser.findElement(By.id("resize-mode"))).selectByValue("crop");
        screenshot("img2img-form");
        browser.findElement(By.id("go")).click();
        wait.until(d -> d.findElement(By.id("status")).getText().startsWith("done"));
        WebElement caption = browser.findElement(By.cssSelector("#images figcaption"));
        assertTrue(caption.getText().endsWith("Denoising strength: 0.5"), caption.getText());
        WebElement img = browser.findElement(By.cssSelector("#images img"));
        wait.until(d -> Boolean.TRUE.equals(((org.openqa.selenium.JavascriptExecutor) d)
                .executeScript("return arguments[0].complete && arguments[0].naturalWidth === 28", img)));
        screenshot("img2img-done");

        Http http = new Http(server.port());
        String src = img.getAttribute("src");
        byte[] shown = http.get(src.substring(src.indexOf("/api/"))).body();
        String body = "{\"model\": \"tiny-eps\", \"prompt\": \"bag\", \"negative\": \"\", \"sampler\": \"euler\","
                + " \"scheduler\": \"karras\", \"steps\": 4, \"cfg\": 3, \"seed\": 5, \"batch\": 1, \"scale\": 1,"
                + " \"init_image\": \"" + Base64.getEncoder().encodeToString(Files.readAllBytes(file)) + "\","
                + " \"denoise\": 0.5, \"resize_mode\": \"crop\"}";
        Http.Response direct = http.post("/api/generate", body);
        assertEquals(200, direct.status(), direct.toString());
        assertArrayEquals(direct.body(), shown, "the page's image is the API's for the same init image and fields");
    }

    /** Generate, send to compare, watch the run, score its two images with the keyboard, see the score in the report. */
    @Test
    void generateCompareAndScore() throws IOException {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(90));
        browser.get(server.url() + "#generate");
        wait.until(d -> d.findElements(By.cssSelector("#sampler option")).size() > 10);
        new Select(browser.findElement(By.id("model"))).selectByValue("tiny-eps");
        new Select(browser.findElement(By.id("sampler"))).selectByValue("euler");
        fill("prompt", "sneaker");
        fill("steps", "4");
        fill("seed", "7");
        browser.findElement(By.id("go")).click();
        wait.until(d -> d.findElement(By.id("status")).getText().startsWith("done"));

        browser.findElement(By.id("to-compare")).click();
        wait.until(d -> d.findElement(By.id("compare")).isDisplayed());
        assertEquals(List.of("euler"), browser.findElements(By.cssSelector("input[name=c-sampler]:checked")).stream()
                .map(e -> e.getAttribute("value")).toList());
        assertEquals("4", browser.findElement(By.id("c-steps")).getAttribute("value"));
        assertEquals("sneaker", browser.findElement(By.id("c-prompts")).getAttribute("value"));
        fill("c-seeds", "7-8");
        browser.findElement(By.id("c-criteria")).sendKeys("is a sneaker\nsole drawn");
        screenshot("compare-plan");
        browser.findElement(By.id("c-start")).click();
        wait.until(d -> d.findElement(By.id("c-ranking")).isDisplayed()
                && d.findElements(By.cssSelector("#c-ranking tbody tr")).size() == 1);
        assertEquals(2, browser.findElements(By.cssSelector("#c-cells img")).size());
        assertTrue(browser.findElement(By.id("c-status")).getText().contains("done"));
        assertTrue(browser.findElements(By.cssSelector("#c-grids img")).size() >= 1, "the X/Y grids are shown");
        screenshot("compare-done");

        // Score: image 1 gets 1, 1; image 2 gets 1, 0 -> average (2 + 1) / 2 = 1.50 out of 2 criteria.
        browser.findElement(By.id("c-score")).click();
        wait.until(d -> d.findElement(By.id("s-position")).getText().startsWith("image 1 of 2"));
        org.openqa.selenium.interactions.Actions keys = new org.openqa.selenium.interactions.Actions(browser);
        keys.sendKeys("1").perform();
        keys.sendKeys("1").perform();
        wait.until(d -> d.findElement(By.id("s-position")).getText().startsWith("image 2 of 2 (1 scored)"));
        keys.sendKeys("1").perform();
        keys.sendKeys("0").perform();
        wait.until(d -> d.findElement(By.id("s-position")).getText().equals("image 2 of 2 (2 scored)"));
        screenshot("score-image-2");
        keys.sendKeys(org.openqa.selenium.Keys.ARROW_LEFT).perform();
        wait.until(d -> d.findElement(By.id("s-position")).getText().startsWith("image 1 of 2"));
        assertEquals("is a sneaker: 1 acceptable\nsole drawn: 1 acceptable", browser.findElement(By.id("s-criteria")).getText());
        browser.findElement(By.id("s-rebuild")).click();
        wait.until(d -> d.findElement(By.id("s-summary")).getText().contains("average score"));
        assertTrue(browser.findElement(By.id("s-summary")).getText().contains("euler karras 4 steps: average score 1.50 out of 2"),
                browser.findElement(By.id("s-summary")).getText());
        screenshot("score-summary");
        browser.get(browser.findElement(By.id("s-report")).getAttribute("href"));
        assertTrue(browser.getPageSource().contains("average score 1.50 out of 2"), "the report shows the score");
        screenshot("report");
    }
}
