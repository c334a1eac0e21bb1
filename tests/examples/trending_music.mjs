const params = new URLSearchParams({"search_keyword": "FALSE", "page": "1", "limit": "20", "period": "7", "region": "US", "new_to_top_100": "false", "commercial_music": "false"});

const response = await fetch(`https://api.keyapi.ai/v1/tiktok/trending/music?${params}`, {
  method: 'GET',
  headers: { 'Authorization': 'Bearer <YOUR_API_KEY>' }
});
const data = await response.json();
console.log(data);
