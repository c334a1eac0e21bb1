import requests

response = requests.get(
    'https://api.keyapi.ai/v1/tiktok/trending/music',
    params={"search_keyword": "FALSE", "page": "1", "limit": "20", "period": "7", "region": "US", "new_to_top_100": "false", "commercial_music": "false"},
    headers={'Authorization': 'Bearer <YOUR_API_KEY>'}
)
print(response.json())
